/**
 * The artifact HTTP server on `--storage-addr` (`:9090`): a static file server over the
 * storage root, as Flux's source-controller runs, from which consumers download
 * `.status.artifact.url`. No authentication, as in Flux; only regular files are served, and no
 * request can reach outside the root (the path is normalised under the root and its real path,
 * symlinks resolved, must still be under the real root). `GET /` answers 200 for the readiness
 * probe. Files appear by rename, so an opened file is always complete.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isInside, parseListenAddress, type Logger } from '@eddy/runtime';
import { isTemporaryFile, type Storage } from './storage.ts';

/** The Content-Type of a served file, by name. */
export function contentTypeFor(file: string): string {
  if (file.endsWith('.tar.gz') || file.endsWith('.tgz') || file.endsWith('.gz')) return 'application/gzip';
  if (file.endsWith('.tar')) return 'application/x-tar';
  if (file.endsWith('.yaml') || file.endsWith('.yml')) return 'application/yaml';
  if (file.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}

/** The artifact HTTP server of a {@link Storage}. */
export class ArtifactServer {
  private readonly storage: Storage;
  private readonly logger: Logger | undefined;
  private server: Server | undefined;

  constructor(storage: Storage, logger?: Logger) {
    this.storage = storage;
    this.logger = logger;
  }

  /** Starts listening on `addr` (`:9090`, `127.0.0.1:0`, `[::1]:0`); resolves with the actual address. */
  async start(addr: string): Promise<string> {
    if (this.server) throw new Error('artifact server already started');
    const { host, port } = parseListenAddress(addr);
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger?.error('artifact request failed', { error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
        else res.destroy();
      });
    });
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolvePromise();
      });
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    return `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Stops listening and closes open connections (downloads in flight are cut). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolvePromise) => {
      server.close(() => resolvePromise());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      notFound(res);
      return;
    }
    if (decoded.includes('\0')) {
      notFound(res);
      return;
    }
    // Normalising under "/" drops every ".." that would climb above the root.
    const normalized = posix.normalize(`/${decoded}`);
    if (normalized === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : 'ok\n');
      return;
    }
    const file = await this.resolveFile(normalized.slice(1));
    if (!file) {
      notFound(res);
      return;
    }
    let handle;
    try {
      handle = await open(file, constants.O_RDONLY);
    } catch (err) {
      // Garbage-collected between resolving and opening.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      notFound(res);
      return;
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) {
        notFound(res);
        return;
      }
      res.writeHead(200, {
        'content-type': contentTypeFor(file),
        'content-length': String(st.size),
        'last-modified': st.mtime.toUTCString(),
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      if (st.size === 0) {
        res.end();
        return;
      }
      // Exactly the size announced, even if the file were appended to (files are only renamed in).
      const stream = handle.createReadStream({ start: 0, end: st.size - 1, autoClose: false });
      await pipeline(stream, res).catch((err: unknown) => {
        // A client that disconnects mid-download is not a server error.
        if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
      });
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** The real path of `rel` when it exists and stays under the storage root's real path. */
  private async resolveFile(rel: string): Promise<string | undefined> {
    const candidate = resolve(this.storage.root, rel);
    // A temporary file is an artifact being written: never serve it.
    if (!isInside(this.storage.root, candidate) || isTemporaryFile(basename(candidate))) return undefined;
    try {
      const [realRoot, real] = await Promise.all([realpath(this.storage.root), realpath(candidate)]);
      return real !== realRoot && isInside(realRoot, real) ? real : undefined;
    } catch {
      return undefined;
    }
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
}
