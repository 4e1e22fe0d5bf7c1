import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ReconcileError, gitAuthFromSecret, type SecretData } from '@eddy/runtime';
import { runCommand, testEnv } from '@eddy/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { checkout, remoteRevision } from '../../src/git/checkout.ts';
import { basicAuthData, newRepo, tempDir, type WorkTree } from './fixtures.ts';

const env = testEnv();
const timeoutMs = 30_000;
const prefix = 'failed to checkout and determine revision: ';

async function failure(p: Promise<unknown>): Promise<ReconcileError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReconcileError)) throw new Error(`expected a ReconcileError, got ${String(err)}`);
  return err;
}

/** Checks out branch main of `url` with the credentials of `data`; returns the revision. */
async function clone(url: string, data: SecretData | undefined): Promise<string> {
  const dir = join(await tempDir(), 'c');
  const auth = gitAuthFromSecret(url, data, 'git-auth');
  return (await checkout(url, { branch: 'main' }, dir, { auth, timeoutMs })).revision;
}

async function cloneError(url: string, data: SecretData | undefined): Promise<{ reason: string; message: string }> {
  const err = await failure(clone(url, data));
  return { reason: err.reason, message: err.message };
}

/**
 * A front for the git server that decides itself who may pass (`authorize`), then forwards to
 * the server with its basic credentials; over TLS when `tls` is given. Records request headers.
 */
async function startFront(opts: {
  authorize: (headers: IncomingHttpHeaders) => boolean;
  /** The scheme the 401 challenge offers. */
  challenge?: 'Basic' | 'Bearer';
  tls?: { key: Buffer; cert: Buffer; clientCa?: Buffer };
}): Promise<{ base: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const upstream = new URL(env.git.http.url);
  const basic = `Basic ${Buffer.from(`${env.git.http.username}:${env.git.http.password}`).toString('base64')}`;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    seen.push(req.headers);
    if (!opts.authorize(req.headers)) {
      res.writeHead(401, { 'WWW-Authenticate': `${opts.challenge ?? 'Bearer'} realm="front"`, 'Content-Type': 'text/plain' });
      res.end('unauthorized\n');
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !['host', 'authorization', 'connection'].includes(k)) headers[k] = v;
    headers['authorization'] = basic;
    const up = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  const server = opts.tls
    ? createHttpsServer(
        {
          key: opts.tls.key,
          cert: opts.tls.cert,
          // TLS 1.2 checks the client certificate inside the handshake, so a refusal always
          // reaches git as an alert (TLS 1.3 checks it after, and may just close the socket).
          ...(opts.tls.clientCa ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' as const } : {}),
        },
        handler,
      )
    : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { base: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, seen };
}

/** A CA with a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
interface Pki {
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
}

async function makePki(dir: string, name: string): Promise<Pki> {
  const f = (n: string): string => join(dir, `${name}-${n}`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runCommand('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', `/CN=${name}-ca`]);
  const issue = async (who: string, cn: string, ext: string): Promise<void> => {
    await runCommand('openssl', ['req', ...ec, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${cn}`]);
    await writeFile(f(`${who}.ext`), ext);
    await runCommand('openssl', ['x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.crt`), '-days', '1', '-extfile', f(`${who}.ext`)]);
  };
  await issue('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await issue('client', 'eddy-client', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: await readFile(f('ca.crt')),
    serverKey: await readFile(f('server.key')),
    serverCert: await readFile(f('server.crt')),
    clientKey: await readFile(f('client.key')),
    clientCert: await readFile(f('client.crt')),
  };
}

let tree: WorkTree;
let head: string;
let pki: Pki;
let otherPki: Pki;

beforeAll(async () => {
  tree = await newRepo(env);
  head = await tree.commit({ 'README.md': 'private\n' });
  await tree.push('HEAD:refs/heads/main');
  const dir = await tempDir();
  pki = await makePki(dir, 'good');
  otherPki = await makePki(dir, 'other');
}, 120_000);

describe('HTTP basic auth against the real git server', () => {
  it('clones with the right username and password', async () => {
    expect(await clone(tree.repo.httpUrl, basicAuthData(env))).toBe(`main@sha1:${head}`);
    const auth = gitAuthFromSecret(tree.repo.httpUrl, basicAuthData(env));
    expect(await remoteRevision(tree.repo.httpUrl, { branch: 'main' }, { auth, timeoutMs })).toBe(`main@sha1:${head}`);
  });

  it('fails with AuthenticationFailed and a hint, never showing the password', async () => {
    const wrong = 'Wr0ng-p@ss:w/rd%';
    const got = await cloneError(tree.repo.httpUrl, basicAuthData(env, wrong));
    expect(got).toEqual({
      reason: 'AuthenticationFailed',
      message: `${prefix}unable to clone '${tree.repo.httpUrl}': authentication required (401); check the 'username' and 'password' in Secret 'git-auth'`,
    });
    const listing = await failure(remoteRevision(tree.repo.httpUrl, { branch: 'main' }, { auth: gitAuthFromSecret(tree.repo.httpUrl, basicAuthData(env, wrong), 'git-auth'), timeoutMs }));
    expect({ reason: listing.reason, message: listing.message }).toEqual({
      reason: 'AuthenticationFailed',
      message: `unable to list references of '${tree.repo.httpUrl}': authentication required (401); check the 'username' and 'password' in Secret 'git-auth'`,
    });
    for (const m of [got.message, listing.message, JSON.stringify(listing), String((listing.cause as Error | undefined)?.message)]) {
      expect(m).not.toContain(wrong);
      expect(m).not.toContain(encodeURIComponent(wrong));
    }
  });

  it('says credentials are needed when there is no Secret', async () => {
    expect(await cloneError(tree.repo.httpUrl, undefined)).toEqual({
      reason: 'AuthenticationFailed',
      message: `${prefix}unable to clone '${tree.repo.httpUrl}': authentication required (401); the repository needs credentials: set spec.secretRef to a Secret with 'username' and 'password', or 'bearerToken'`,
    });
  });

  it('clones a public repository anonymously', async () => {
    const pub = await newRepo(env, { public: true });
    const c = await pub.commit({ 'a.txt': 'public\n' });
    await pub.push('HEAD:refs/heads/main');
    expect(await clone(pub.repo.httpUrl, undefined)).toBe(`main@sha1:${c}`);
  });

  it('keeps credentials written into the URL out of messages', async () => {
    const u = new URL(tree.repo.httpUrl);
    u.username = env.git.http.username;
    u.password = 'in-url-secret';
    const err = await cloneError(u.href, undefined);
    expect(err.reason).toBe('AuthenticationFailed');
    expect(err.message).not.toContain('in-url-secret');
    expect(err.message).toContain(`unable to clone '${tree.repo.httpUrl}'`);
  });
});

describe('HTTP bearer token', () => {
  const token = 'bearer-T0ken-123456';

  it('sends the token as an Authorization header, and only that', async () => {
    const front = await startFront({ authorize: (h) => h.authorization === `Bearer ${token}` });
    const url = `${front.base}/${tree.repo.path}`;
    expect(await clone(url, { bearerToken: token })).toBe(`main@sha1:${head}`);
    expect(front.seen.length).toBeGreaterThan(0);
    expect(front.seen.every((h) => h.authorization === `Bearer ${token}`)).toBe(true);
  });

  it('fails with AuthenticationFailed on a wrong token, never showing it', async () => {
    const front = await startFront({ authorize: (h) => h.authorization === `Bearer ${token}` });
    const url = `${front.base}/${tree.repo.path}`;
    const wrong = 'wrong-T0ken-abcdef';
    const got = await cloneError(url, { bearerToken: wrong });
    expect(got).toEqual({ reason: 'AuthenticationFailed', message: `${prefix}unable to clone '${url}': authentication required (401); check the 'bearerToken' in Secret 'git-auth'` });
    expect(front.seen.map((h) => h.authorization)).toContain(`Bearer ${wrong}`);
    expect(got.message).not.toContain(wrong);
  });
});

describe('HTTPS: CA certificate and client certificate', () => {
  const basicOk = (h: IncomingHttpHeaders): boolean => h.authorization === `Basic ${Buffer.from(`${env.git.http.username}:${env.git.http.password}`).toString('base64')}`;

  it('trusts the server through ca.crt, with basic auth', async () => {
    const front = await startFront({ authorize: basicOk, challenge: 'Basic', tls: { key: pki.serverKey, cert: pki.serverCert } });
    const url = `${front.base}/${tree.repo.path}`;
    expect(await clone(url, { ...basicAuthData(env), 'ca.crt': pki.ca })).toBe(`main@sha1:${head}`);
  });

  it('fails with AuthenticationFailed when the server certificate is not trusted', async () => {
    const front = await startFront({ authorize: basicOk, challenge: 'Basic', tls: { key: pki.serverKey, cert: pki.serverCert } });
    const url = `${front.base}/${tree.repo.path}`;
    const missing = await cloneError(url, basicAuthData(env));
    expect(missing.reason).toBe('AuthenticationFailed');
    expect(missing.message).toMatch(new RegExp(`^${prefix}unable to clone '${url}': the server's TLS certificate is not trusted \\(.*\\); add the CA certificate as 'ca.crt' to the Secret named by spec.secretRef$`));
    const wrong = await cloneError(url, { ...basicAuthData(env), 'ca.crt': otherPki.ca });
    expect(wrong.reason).toBe('AuthenticationFailed');
    expect(wrong.message).toMatch(/the server's TLS certificate is not trusted \(.*\); check the 'ca.crt' in Secret 'git-auth'$/);
  });

  it('presents tls.crt and tls.key to a server that requires a client certificate', async () => {
    const front = await startFront({ authorize: basicOk, challenge: 'Basic', tls: { key: pki.serverKey, cert: pki.serverCert, clientCa: pki.ca } });
    const url = `${front.base}/${tree.repo.path}`;
    expect(await clone(url, { ...basicAuthData(env), 'ca.crt': pki.ca, 'tls.crt': pki.clientCert, 'tls.key': pki.clientKey })).toBe(`main@sha1:${head}`);

    // How a refusal reaches git depends on the server's timing: usually a handshake alert, at
    // times a connection closed under git's feet. Either way the clone fails and says why.
    const tlsRefusal = (got: { reason: string; message: string }, hint: RegExp): void => {
      if (/Broken pipe|Connection reset/.test(got.message)) {
        expect(got.reason).toBe('GitOperationFailed');
      } else {
        expect(got.reason).toBe('AuthenticationFailed');
        expect(got.message).toMatch(hint);
      }
      expect(got.message.startsWith(`${prefix}unable to clone '${url}': `)).toBe(true);
    };
    const without = await cloneError(url, { ...basicAuthData(env), 'ca.crt': pki.ca });
    tlsRefusal(without, /: the TLS handshake with the server failed \(.*\); if the server requires a client certificate, add 'tls.crt' and 'tls.key' to the Secret named by spec.secretRef$/);
    const untrusted = await cloneError(url, { ...basicAuthData(env), 'ca.crt': pki.ca, 'tls.crt': otherPki.clientCert, 'tls.key': otherPki.clientKey });
    tlsRefusal(untrusted, /: the TLS handshake with the server failed \(.*\); the server may have refused the client certificate: check the 'tls.crt' and 'tls.key' in Secret 'git-auth'$/);
    const keyLine = otherPki.clientKey.toString().split('\n')[1] ?? 'none';
    expect(untrusted.message).not.toContain(keyLine);
  });
});
