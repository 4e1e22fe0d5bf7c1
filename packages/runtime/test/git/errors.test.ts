import { describe, expect, it } from 'vitest';
import type { GitAuth } from '../../src/git/auth.ts';
import { classifyGitFailure, describeFailure, failureReason, gitError, type GitFailure } from '../../src/git/errors.ts';
import { ToolError } from '../../src/git/exec.ts';
import { ReconcileError } from '../../src/errors/errors.ts';

describe('classifyGitFailure', () => {
  it.each<[string, GitFailure]>([
    ["remote: authentication required\nfatal: Authentication failed for 'http://h/x.git/'", 'authentication'],
    ["error: unable to read askpass response from 'false'\nfatal: could not read Username for 'http://h': terminal prompts disabled", 'authentication'],
    ["fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403", 'authentication'],
    ['git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'authentication'],
    ['Host key verification failed.\nfatal: Could not read from remote repository.', 'host-key'],
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.', 'host-key'],
    ["fatal: unable to access 'https://h/x.git/': SSL certificate problem: unable to get local issuer certificate", 'server-certificate'],
    ["fatal: unable to access 'https://h/x.git/': server certificate verification failed. CAfile: none CRLfile: none", 'server-certificate'],
    ["fatal: unable to access 'https://h/x.git/': OpenSSL/3.0.22: error:0A00045C:SSL routines::tlsv13 alert certificate required", 'client-certificate'],
    ["fatal: unable to access 'https://h/x.git/': OpenSSL SSL_read: error:0A000412:SSL routines::sslv3 alert bad certificate, errno 0", 'client-certificate'],
    ["fatal: unable to access 'https://h/x.git/': GnuTLS recv error (-12): A TLS fatal alert has been received.", 'tls-handshake'],
    ["fatal: unable to access 'https://h/x.git/': gnutls_handshake() failed: Handshake failed", 'tls-handshake'],
    ["fatal: unable to access 'https://h/x.git/': error reading X.509 potentially-encrypted key file: Error in parsing.", 'client-certificate'],
    ['fatal: couldn\'t find remote ref refs/heads/nope', 'ref-not-found'],
    ['fatal: remote error: upload-pack: not our ref 0000000000000000000000000000000000000001', 'ref-not-found'],
    ["fatal: repository 'http://h/nothere.git/' not found", 'repository-not-found'],
    ["fatal: unable to access 'http://127.0.0.1:1/x.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", 'unreachable'],
    ["fatal: unable to access 'https://nohost.invalid/x.git/': Could not resolve host: nohost.invalid", 'unreachable'],
    ['fatal: something unexpected', 'other'],
  ])('%s', (stderr, want) => {
    expect(classifyGitFailure(stderr)).toBe(want);
  });

  it('reads a dropped TLS handshake as a refused client certificate only when one was presented', () => {
    const dropped = "fatal: unable to access 'https://h/x.git/': GnuTLS recv error (-110): The TLS connection was non-properly terminated.";
    expect([classifyGitFailure(dropped, undefined, true), classifyGitFailure(dropped)]).toEqual(['tls-handshake', 'other']);
  });

  it('prefers how the command stopped', () => {
    expect(classifyGitFailure('fatal: Authentication failed', 'timeout')).toBe('timeout');
    expect(classifyGitFailure('', 'canceled')).toBe('canceled');
  });

  it('maps credential problems to AuthenticationFailed and the rest to GitOperationFailed', () => {
    const kinds: GitFailure[] = ['authentication', 'host-key', 'server-certificate', 'client-certificate', 'tls-handshake', 'ref-not-found', 'repository-not-found', 'unreachable', 'timeout', 'canceled', 'other'];
    expect(Object.fromEntries(kinds.map((k) => [k, failureReason(k)]))).toEqual({
      authentication: 'AuthenticationFailed',
      'host-key': 'AuthenticationFailed',
      'server-certificate': 'AuthenticationFailed',
      'client-certificate': 'AuthenticationFailed',
      'tls-handshake': 'AuthenticationFailed',
      'ref-not-found': 'GitOperationFailed',
      'repository-not-found': 'GitOperationFailed',
      unreachable: 'GitOperationFailed',
      timeout: 'GitOperationFailed',
      canceled: 'GitOperationFailed',
      other: 'GitOperationFailed',
    });
  });
});

describe('describeFailure', () => {
  const basic: GitAuth = { transport: 'https', secretName: 'git-auth', basic: { username: 'u', password: 'p' } };
  const bearer: GitAuth = { transport: 'https', secretName: 'git-auth', bearerToken: 't' };
  const ssh: GitAuth = { transport: 'ssh', secretName: 'ssh-auth', ssh: { identity: Buffer.from('k'), knownHosts: Buffer.from('h') } };
  const auth401 = "fatal: Authentication failed for 'https://h/x.git/'";
  it.each<[string, GitFailure, string, GitAuth | undefined, string]>([
    ['basic', 'authentication', auth401, basic, "authentication required (401); check the 'username' and 'password' in Secret 'git-auth'"],
    ['bearer', 'authentication', auth401, bearer, "authentication required (401); check the 'bearerToken' in Secret 'git-auth'"],
    [
      'no credentials',
      'authentication',
      "fatal: could not read Username for 'https://h': terminal prompts disabled",
      undefined,
      "authentication required (401); the repository needs credentials: set spec.secretRef to a Secret with 'username' and 'password', or 'bearerToken'",
    ],
    ['403', 'authentication', 'fatal: unable to access: The requested URL returned error: 403', basic, "access denied (403); check the 'username' and 'password' in Secret 'git-auth'"],
    [
      'ssh key',
      'authentication',
      'git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.',
      ssh,
      "the server refused the SSH key (git@h: Permission denied (publickey).); check that the 'identity' in Secret 'ssh-auth' is authorized on the server",
    ],
    [
      'host key',
      'host-key',
      'Host key verification failed.',
      ssh,
      "host key verification failed: the server's host key is not in the 'known_hosts' of Secret 'ssh-auth' (Host key verification failed.)",
    ],
    [
      'untrusted server',
      'server-certificate',
      'fatal: SSL certificate problem: self-signed certificate',
      undefined,
      "the server's TLS certificate is not trusted (fatal: SSL certificate problem: self-signed certificate); add the CA certificate as 'ca.crt' to the Secret named by spec.secretRef",
    ],
    ['ref', 'ref-not-found', "fatal: couldn't find remote ref refs/heads/nope", undefined, "branch 'nope' not found (fatal: couldn't find remote ref refs/heads/nope)"],
    ['timeout', 'timeout', '', undefined, 'timed out after 1m30s (spec.timeout)'],
    ['other', 'other', 'remote: noise\nerror: one\nfatal: two', undefined, 'error: one; fatal: two'],
  ])('%s', (_name, kind, stderr, auth, want) => {
    expect(describeFailure(kind, stderr, auth, { ref: "branch 'nope'", timeoutMs: 90_000 })).toBe(want);
  });
});

describe('gitError', () => {
  it('builds a typed, redacted error from a failed command', () => {
    const secret = 's3cr3t-Pa55';
    const stderr = `fatal: Authentication failed for 'https://user:${secret}@h/x.git/' using ${secret}`;
    const err = gitError(new ToolError({ command: 'git fetch', exitCode: 128, stderr, stopped: undefined, message: 'x' }), {
      action: "unable to clone 'https://h/x.git'",
      auth: { transport: 'https', secretName: 'git-auth', basic: { username: 'user', password: secret } },
      redact: (t) => t.split(secret).join('***'),
      prefix: 'failed to checkout and determine revision: ',
    });
    expect(err).toBeInstanceOf(ReconcileError);
    expect({ reason: err.reason, message: err.message }).toEqual({
      reason: 'AuthenticationFailed',
      message: "failed to checkout and determine revision: unable to clone 'https://h/x.git': authentication required (401); check the 'username' and 'password' in Secret 'git-auth'",
    });
    expect(err.message).not.toContain(secret);
  });

  it('passes ReconcileErrors through and wraps anything else as GitOperationFailed', () => {
    const given = new ReconcileError('GitOperationFailed', 'x');
    expect(gitError(given, { action: 'a', auth: undefined, redact: (t) => t })).toBe(given);
    const wrapped = gitError(new Error('disk full at https://u:pw@h/x'), { action: 'unable to clone', auth: undefined, redact: (t) => t });
    expect({ reason: wrapped.reason, message: wrapped.message }).toEqual({ reason: 'GitOperationFailed', message: 'unable to clone: disk full at https://h/x' });
  });
});
