/** Test helpers for events: a local notification-controller stand-in and a captured logger. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { onTestFinished } from 'vitest';
import { createLogger, type Logger } from '../../src/logging/logger.ts';

/** One request the receiver got. */
export interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

/** A local HTTP server standing in for notification-controller's event endpoint. */
export interface Receiver {
  url: string;
  received: Received[];
}

/**
 * Starts a receiver on 127.0.0.1 that answers each request with `respond(n)` (n counts from 1),
 * or holds it when `respond` returns 'hold' until the test ends. Closed when the test finishes.
 */
export async function startReceiver(respond: (n: number) => number | 'hold' = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: text ? (JSON.parse(text) as unknown) : undefined });
      const answer = respond(received.length);
      if (answer === 'hold') {
        held.push(res);
        return;
      }
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, received };
}

/** A logger whose JSON lines are kept for assertions. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const text: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', encoding: 'json', name: 'test', stream });
  const lines = () =>
    text
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

/** An http URL on 127.0.0.1 whose port nobody listens on (it was just freed). */
export async function closedPortUrl(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}
