/**
 * Fixtures of the OCI tests: Flux-like artifacts pushed to the environment's real registries,
 * and small servers put in front of the plain registry to exercise what it does not do itself
 * (the Bearer token flow, a redirect to another host, TLS).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ociManifestMediaType, pushBlob, pushManifest, runCommand, type RegistryEndpoint } from '@eddy/testkit';
import { create } from 'tar';

/** The media type of a Flux artifact's content layer. */
export const fluxContentMediaType = 'application/vnd.cncf.flux.content.v1.tar+gzip';
/** The media type of a Flux artifact's config. */
export const fluxConfigMediaType = 'application/vnd.cncf.flux.config.v1+json';

/** A tar.gz of `files` (path → content). */
export async function tarGz(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'oci-fixture-'));
  try {
    const root = join(dir, 'root');
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    const out = join(dir, 'layer.tar.gz');
    await create({ gzip: true, cwd: root, file: out, portable: true }, Object.keys(files));
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A pushed artifact: its manifest digest and its layers. */
export interface PushedArtifact {
  digest: string;
  layers: Array<{ mediaType: string; digest: string; data: Buffer }>;
}

/** Pushes a manifest with the given layers (and a `{}` config) under `tag`. */
export async function pushLayers(
  reg: RegistryEndpoint,
  repo: string,
  tag: string,
  layers: Array<{ mediaType: string; data: Buffer }>,
  options: { annotations?: Record<string, string>; manifestMediaType?: string; configMediaType?: string } = {},
): Promise<PushedArtifact> {
  const config = Buffer.from('{}');
  const configDigest = await pushBlob(reg, repo, config);
  const pushed: PushedArtifact['layers'] = [];
  for (const layer of layers) pushed.push({ ...layer, digest: await pushBlob(reg, repo, layer.data) });
  const mediaType = options.manifestMediaType ?? ociManifestMediaType;
  const digest = await pushManifest(
    reg,
    repo,
    tag,
    {
      schemaVersion: 2,
      mediaType,
      config: { mediaType: options.configMediaType ?? fluxConfigMediaType, digest: configDigest, size: config.length },
      layers: pushed.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.data.length })),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    mediaType,
  );
  return { digest, layers: pushed };
}

/** Pushes a Flux-like artifact: one tar.gz content layer of `files`, with unique content. */
export async function pushFluxArtifact(
  reg: RegistryEndpoint,
  repo: string,
  tag: string,
  files: Record<string, string | Buffer> = {},
  annotations?: Record<string, string>,
): Promise<PushedArtifact & { layer: Buffer }> {
  const layer = await tarGz({ 'nonce.txt': randomBytes(16).toString('hex'), ...files });
  const pushed = await pushLayers(reg, repo, tag, [{ mediaType: fluxContentMediaType, data: layer }], annotations ? { annotations } : {});
  return { ...pushed, layer };
}

/** A test server and its `host:port`. */
export interface TestServer {
  host: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<TestServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards a request to the registry `upstream` (host:port) and relays the answer. */
async function forward(upstream: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of ['accept', 'content-type']) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  const answer = await fetch(`http://${upstream}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, redirect: 'manual' });
  const out: Record<string, string> = {};
  for (const name of ['content-type', 'content-length', 'docker-content-digest', 'link', 'location']) {
    const v = answer.headers.get(name);
    if (v !== null) out[name] = v;
  }
  res.writeHead(answer.status, out);
  res.end(req.method === 'HEAD' ? undefined : Buffer.from(await answer.arrayBuffer()));
}

function handle(fn: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    fn(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  };
}

/** What the token registry saw. */
export interface TokenRegistry extends TestServer {
  /** The query of every token request. */
  tokenRequests: URLSearchParams[];
}

/**
 * A registry with the distribution spec's Bearer token flow in front of the plain registry:
 * `/v2/*` answers 401 with `WWW-Authenticate: Bearer realm=…/token,service=…,scope=…` until a
 * token is presented; `/token` hands one out for the right basic credentials.
 */
export async function startTokenRegistry(upstream: string, login: { username: string; password: string }): Promise<TokenRegistry> {
  const issued = new Set<string>();
  const tokenRequests: URLSearchParams[] = [];
  let self = '';
  const server = createHttpServer(
    handle(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(url.searchParams);
        const expected = 'Basic ' + Buffer.from(`${login.username}:${login.password}`).toString('base64');
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
          return;
        }
        const token = randomBytes(16).toString('hex');
        issued.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!presented || !issued.has(presented)) {
        const repo = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1] ?? '';
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="http://${self}/token",service="eddy-test",scope="repository:${repo}:pull"`,
        });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      await forward(upstream, req, res);
    }),
  );
  const started = await listen(server);
  self = started.host;
  return { ...started, tokenRequests };
}

/** What the redirecting registry's blob host saw. */
export interface RedirectingRegistry extends TestServer {
  /** The Authorization header of each request the blob host got (undefined when absent). */
  blobAuthorizations: Array<string | undefined>;
}

/**
 * A registry with basic auth in front of the plain registry that redirects every blob GET to
 * a second server on another port (another origin, like a storage bucket), which serves it.
 */
export async function startRedirectingRegistry(upstream: string, login: { username: string; password: string }): Promise<RedirectingRegistry> {
  const blobAuthorizations: Array<string | undefined> = [];
  const blobServer = await listen(
    createHttpServer(
      handle(async (req, res) => {
        blobAuthorizations.push(req.headers.authorization);
        await forward(upstream, req, res);
      }),
    ),
  );
  const expected = 'Basic ' + Buffer.from(`${login.username}:${login.password}`).toString('base64');
  const front = await listen(
    createHttpServer(
      handle(async (req, res) => {
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
          res.end();
          return;
        }
        if (req.method === 'GET' && /\/blobs\//.test(req.url ?? '')) {
          res.writeHead(307, { location: `http://${blobServer.host}${req.url ?? ''}` });
          res.end();
          return;
        }
        await forward(upstream, req, res);
      }),
    ),
  );
  return {
    host: front.host,
    blobAuthorizations,
    close: async () => {
      await front.close();
      await blobServer.close();
    },
  };
}

/** PEM material of a throw-away PKI for 127.0.0.1. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Makes a CA, a server certificate for IP 127.0.0.1 and a client certificate with openssl. */
export async function makePki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'oci-pki-'));
  const ssl = (...args: string[]): Promise<string> => runCommand('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=eddy-oci-test-ca');
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const who of ['server', 'client']) {
      await ssl('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=eddy-oci-${who}`);
      await ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '1', '-extfile', `${who}.ext`);
    }
    const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8');
    return { ca: await read('ca.crt'), serverCert: await read('server.crt'), serverKey: await read('server.key'), clientCert: await read('client.crt'), clientKey: await read('client.key') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An HTTPS registry in front of the plain one; with `requireClientCert`, only clients with a certificate of the CA get in. */
export async function startTlsRegistry(upstream: string, pki: TestPki, requireClientCert: boolean): Promise<TestServer> {
  const options: ServerOptions = { cert: pki.serverCert, key: pki.serverKey };
  if (requireClientCert) Object.assign(options, { ca: pki.ca, requestCert: true, rejectUnauthorized: true });
  return await listen(createHttpsServer(options, handle((req, res) => forward(upstream, req, res))));
}
