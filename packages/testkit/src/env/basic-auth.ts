/** HTTP basic authentication, as the environment's git and Helm servers check it. */
import type { IncomingMessage } from 'node:http';

/** What an `Authorization` header says: nobody, the right user, or wrong credentials. */
export type AuthResult = 'anonymous' | 'authorized' | 'denied';

/** Checks a request's basic-auth header against the one configured user. */
export function checkBasicAuth(req: IncomingMessage, username: string, password: string): AuthResult {
  const header = req.headers.authorization;
  if (!header) return 'anonymous';
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (!m?.[1]) return 'denied';
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i >= 0 && decoded.slice(0, i) === username && decoded.slice(i + 1) === password ? 'authorized' : 'denied';
}
