/** A small GET for readiness probes: status and body, bounded by a timeout. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Options of {@link httpGet}. */
export interface HttpGetOptions {
  headers?: Record<string, string>;
  ca?: Buffer;
  rejectUnauthorized?: boolean;
  timeoutMs?: number;
}

/** GETs `url`, resolving with the status and the body (first 1 MiB). */
export async function httpGet(url: string, opts: HttpGetOptions = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return await new Promise((resolve, reject) => {
    const req = request(
      u,
      { method: 'GET', headers: opts.headers, ca: opts.ca, rejectUnauthorized: opts.rejectUnauthorized ?? true, timeout: opts.timeoutMs ?? 5_000 },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          size += b.length;
          if (size <= 1 << 20) chunks.push(b);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}
