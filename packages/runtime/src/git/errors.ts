/**
 * Git failures as typed reconcile errors: what git printed is classified once, here, into a
 * Flux reason and a message a person can act on ("authentication required (401); check the
 * username and password in Secret 'x'"). Everything that leaves is redacted by the caller's
 * session (credentials, URL userinfo).
 */
import { Reason } from '@eddy/api';
import { ReconcileError } from '../errors/errors.ts';
import { redactUrls } from '../logging/redact.ts';
import type { GitAuth } from './auth.ts';
import { ToolError, formatMs, lastLines } from './exec.ts';

/** What went wrong in a failed git command, as far as its stderr tells. */
export type GitFailure =
  | 'authentication'
  | 'host-key'
  | 'server-certificate'
  | 'client-certificate'
  | 'tls-handshake'
  | 'ref-not-found'
  | 'repository-not-found'
  | 'unreachable'
  | 'timeout'
  | 'canceled'
  | 'other';

const patterns: [GitFailure, RegExp][] = [
  ['host-key', /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known|host key for .* has changed/i],
  ['client-certificate', /alert (bad certificate|certificate required|unknown ca)|could not load PEM client certificate|unable to set private key file|unable to use client certificate|error reading X\.509 (potentially-encrypted )?(key|certificate)/i],
  // GnuTLS (Debian's git) often says no more than that the handshake failed or the server sent an alert.
  ['tls-handshake', /gnutls_handshake\(\) failed|A TLS fatal alert has been received|alert handshake failure|sslv3 alert|tlsv1\d? alert/i],
  ['server-certificate', /SSL certificate problem|server certificate verification failed|certificate verify failed|unable to get local issuer certificate|self[- ]signed certificate|SSL: no alternative certificate subject name|certificate subject name .* does not match/i],
  [
    'authentication',
    /Authentication failed for|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|Permission denied \((publickey|password|keyboard)|Permission denied, please try again|HTTP Basic: Access denied|Invalid username or password/i,
  ],
  ['ref-not-found', /couldn't find remote ref|not our ref|unadvertised object|Remote branch .* not found|no such ref|did not send all necessary objects|pathspec .* did not match/i],
  ['repository-not-found', /repository '.*' not found|does not appear to be a git repository|Repository not found|returned error: 404/i],
  ['unreachable', /Could not resolve host|Failed to connect|Connection refused|Connection timed out|Network is unreachable|No route to host|Could not read from remote repository|Connection reset|Connection closed by|kex_exchange_identification/i],
];

/**
 * Classifies a failed command from its stderr (and how it stopped). `presentedClientCert`
 * says a TLS client certificate was offered: a server that then drops the connection
 * mid-handshake (GnuTLS: "non-properly terminated") most likely refused it, a TLS problem.
 */
export function classifyGitFailure(stderr: string, stopped?: ToolError['stopped'], presentedClientCert = false): GitFailure {
  if (stopped === 'timeout' || stopped === 'canceled') return stopped;
  if (presentedClientCert && /TLS connection was non-properly terminated|unexpected eof while reading/i.test(stderr)) return 'tls-handshake';
  for (const [kind, re] of patterns) if (re.test(stderr)) return kind;
  return 'other';
}

/** The Flux reason of a failure kind: credential problems are AuthenticationFailed, the rest GitOperationFailed. */
export function failureReason(kind: GitFailure): string {
  return kind === 'authentication' || kind === 'host-key' || kind === 'server-certificate' || kind === 'client-certificate' || kind === 'tls-handshake'
    ? Reason.AuthenticationFailed
    : Reason.GitOperationFailed;
}

function secretIn(auth: GitAuth | undefined): string {
  return auth?.secretName ? `Secret '${auth.secretName}'` : 'the Secret';
}

/** Lines git prints around every failure that tell nothing: server chatter, hints, the generic SSH advice. */
const boilerplate = /^(remote: |hint: ).*$|^fatal: Could not read from remote repository\.?$|^Please make sure you have the correct access rights$|^and the repository exists\.?$/gm;

/** What the failure means and what to check, e.g. `authentication required (401); check …`. */
export function describeFailure(kind: GitFailure, stderr: string, auth: GitAuth | undefined, ctx: { ref?: string; timeoutMs?: number }): string {
  const said = lastLines(stderr.replace(boilerplate, ''), 3);
  const git = said ? ` (${said})` : '';
  switch (kind) {
    case 'authentication': {
      if (/Permission denied \(/i.test(stderr) || auth?.transport === 'ssh') {
        return `the server refused the SSH key${git}; check that the 'identity' in ${secretIn(auth)} is authorized on the server`;
      }
      const status = /returned error: 403/.test(stderr) ? 'access denied (403)' : 'authentication required (401)';
      if (auth?.bearerToken) return `${status}; check the 'bearerToken' in ${secretIn(auth)}`;
      if (auth?.basic) return `${status}; check the 'username' and 'password' in ${secretIn(auth)}`;
      return `${status}; the repository needs credentials: set spec.secretRef to a Secret with 'username' and 'password', or 'bearerToken'`;
    }
    case 'host-key': {
      // ssh's banner and its `ssh-keygen -R <temp file>` advice mean nothing to the user.
      const lines = stderr.split('\n').filter((l) => /host key/i.test(l) && !/ssh-keygen/.test(l));
      const why = lines.length ? ` (${lastLines(lines.join('\n'), 2)})` : '';
      return `host key verification failed: the server's host key is not in the 'known_hosts' of ${secretIn(auth)}${why}`;
    }
    case 'server-certificate':
      return auth?.caCert
        ? `the server's TLS certificate is not trusted${git}; check the 'ca.crt' in ${secretIn(auth)}`
        : `the server's TLS certificate is not trusted${git}; add the CA certificate as 'ca.crt' to the Secret named by spec.secretRef`;
    case 'client-certificate':
      return auth?.clientCert
        ? `the server refused the TLS client certificate${git}; check the 'tls.crt' and 'tls.key' in ${secretIn(auth)}`
        : `the server requires a TLS client certificate${git}; add 'tls.crt' and 'tls.key' to the Secret named by spec.secretRef`;
    case 'tls-handshake':
      return auth?.clientCert
        ? `the TLS handshake with the server failed${git}; the server may have refused the client certificate: check the 'tls.crt' and 'tls.key' in ${secretIn(auth)}`
        : `the TLS handshake with the server failed${git}; if the server requires a client certificate, add 'tls.crt' and 'tls.key' to the Secret named by spec.secretRef`;
    case 'ref-not-found':
      return ctx.ref ? `${ctx.ref} not found${git}` : `reference not found${git}`;
    case 'repository-not-found':
      return `repository not found${git}`;
    case 'unreachable':
      return `cannot reach the server${git}`;
    case 'timeout':
      return `timed out after ${formatMs(ctx.timeoutMs ?? 0)} (spec.timeout)`;
    case 'canceled':
      return 'canceled';
    case 'other':
      return said || 'git failed';
  }
}

/**
 * The ReconcileError for a failed git step: `<action>: <meaning>; <hint>` with the Flux reason
 * of {@link failureReason}. `action` names the step and the URL (`unable to clone
 * 'https://host/repo.git'`); the whole message goes through `redact` (the session's secrets
 * and URL userinfo). Errors that are already ReconcileErrors pass through unchanged.
 */
export function gitError(
  err: unknown,
  ctx: { action: string; auth: GitAuth | undefined; redact: (t: string) => string; ref?: string; timeoutMs?: number; prefix?: string },
): ReconcileError {
  if (err instanceof ReconcileError) return err;
  const prefix = ctx.prefix ?? '';
  if (err instanceof ToolError) {
    const kind = classifyGitFailure(err.stderr, err.stopped, Boolean(ctx.auth?.clientCert));
    const detail = err.stopped === 'spawn-failed' || err.stopped === 'output-limit' ? err.message : describeFailure(kind, err.stderr, ctx.auth, ctx);
    return new ReconcileError(failureReason(kind), ctx.redact(`${prefix}${ctx.action}: ${detail}`), { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ReconcileError(Reason.GitOperationFailed, ctx.redact(redactUrls(`${prefix}${ctx.action}: ${message}`)));
}
