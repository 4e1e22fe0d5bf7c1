/** Removing credentials from text before it reaches a log line, an event or a condition. */

const urlWithUserinfo = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi;

/**
 * The text with the userinfo of every URL removed: `https://user:token@host/x` becomes
 * `https://host/x`. Applied by the logger to every line, and by controllers to every message
 * that may quote a URL.
 */
export function redactUrls(text: string): string {
  return text.replace(urlWithUserinfo, '$1');
}
