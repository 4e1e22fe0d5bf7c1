/**
 * Git smart HTTP: Debian's `git-http-backend` run as a CGI program behind node:http, with basic
 * auth. Repositories under `public/` may be fetched anonymously; everything else, and every
 * push, needs the configured user.
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { checkBasicAuth } from './basic-auth.ts';

const gitHttpBackend = '/usr/lib/git-core/git-http-backend';

/** Options of {@link gitHttpHandler}. */
export interface GitHttpOptions {
  root: string;
  username: string;
  password: string;
}

function isPush(url: URL): boolean {
  return url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack');
}

/** A request handler serving the bare repositories under `root`. */
export function gitHttpHandler(opts: GitHttpOptions): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const auth = checkBasicAuth(req, opts.username, opts.password);
    const anonymousAllowed = url.pathname.startsWith('/public/') && !isPush(url);
    if (auth === 'denied' || (auth === 'anonymous' && !anonymousAllowed)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="eddy-git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      GIT_PROJECT_ROOT: opts.root,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REMOTE_USER: auth === 'authorized' ? opts.username : '',
    };
    if (req.headers['content-length']) env['CONTENT_LENGTH'] = req.headers['content-length'];
    if (req.headers['content-encoding']) env['HTTP_CONTENT_ENCODING'] = req.headers['content-encoding'];
    const protocol = req.headers['git-protocol'];
    if (typeof protocol === 'string') env['GIT_PROTOCOL'] = protocol;

    const cgi = spawn(gitHttpBackend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    cgi.stdin.on('error', () => undefined);
    const stderr: Buffer[] = [];
    cgi.stderr.on('data', (b: Buffer) => stderr.push(b));

    // CGI output: header lines, a blank line, then the body.
    let head = Buffer.alloc(0);
    let headersSent = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = end < 0 ? head.indexOf('\n\n') : -1;
      if (end < 0 && endLf < 0) return;
      const sep = end >= 0 ? end : endLf;
      const headerText = head.subarray(0, sep).toString('latin1');
      const body = head.subarray(sep + (end >= 0 ? 4 : 2));
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of headerText.split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      if (body.length) res.write(body);
    });
    cgi.on('close', (code) => {
      if (!headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`git-http-backend failed (${code}): ${Buffer.concat(stderr).toString()}`);
        return;
      }
      if (code !== 0) process.stderr.write(`git-http-backend ${req.method} ${url.pathname}: exit ${code} ${Buffer.concat(stderr).toString()}\n`);
      res.end();
    });
  };
}
