/**
 * A static file server for a Helm HTTP repository (`index.yaml` + chart archives), optionally
 * behind basic auth. Only regular files inside the root are served.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';
import { checkBasicAuth } from './basic-auth.ts';

/** A handler serving `root`; with `auth`, every request must carry that user. */
export function staticFilesHandler(root: string, auth?: { username: string; password: string }): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (auth && checkBasicAuth(req, auth.username, auth.password) !== 'authorized') {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="eddy-helm"' });
        res.end();
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405);
        res.end();
        return;
      }
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      const file = normalize(join(root, path));
      if (!file.startsWith(root + sep)) {
        res.writeHead(404);
        res.end();
        return;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) {
        res.writeHead(404);
        res.end();
        return;
      }
      const type = file.endsWith('.yaml') ? 'application/x-yaml' : file.endsWith('.tgz') ? 'application/gzip' : 'application/octet-stream';
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': info.size });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  };
}
