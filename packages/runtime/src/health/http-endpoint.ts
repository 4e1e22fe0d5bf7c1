/** Small HTTP endpoints of a controller process: the probe server and the metrics server. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A check of readiness or liveness: undefined when fine, else why not. */
export type Check = () => string | undefined;

/** Parses a Go-style listen address: `:8080` (all interfaces), `127.0.0.1:9440`, `[::1]:0`. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new Error(`invalid listen address "${addr}": expected [host]:port`);
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '') || undefined;
  const port = Number.parseInt(addr.slice(i + 1), 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid listen address "${addr}": bad port`);
  return { host, port };
}

/** A listening HTTP server; `address` is where it actually listens (port 0 resolved). */
export interface Endpoint {
  server: Server;
  address: string;
  close(): Promise<void>;
}

async function listen(addr: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Endpoint> {
  const { host, port } = parseListenAddress(addr);
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    server,
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function runChecks(checks: Map<string, Check>): string[] {
  const failures: string[] = [];
  for (const [name, check] of checks) {
    let why: string | undefined;
    try {
      why = check();
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    if (why !== undefined) failures.push(`${name}: ${why}`);
  }
  return failures;
}

/**
 * The probe server on `--health-addr`: `/healthz` (liveness) and `/readyz` (readiness), each
 * 200 `ok` when all its checks pass, else 500 listing the failing checks, as
 * controller-runtime's probes answer.
 */
export class ProbeServer {
  readonly liveness = new Map<string, Check>();
  readonly readiness = new Map<string, Check>();
  private endpoint: Endpoint | undefined;

  /** Starts listening; resolves with the actual address. */
  async start(addr: string): Promise<string> {
    this.endpoint = await listen(addr, (req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const checks = path === '/healthz' ? this.liveness : path === '/readyz' ? this.readiness : undefined;
      if (!checks) {
        res.writeHead(404).end();
        return;
      }
      const failures = runChecks(checks);
      res.writeHead(failures.length ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(failures.length ? `${failures.join('\n')}\n` : 'ok');
    });
    return this.endpoint.address;
  }

  async stop(): Promise<void> {
    await this.endpoint?.close();
  }
}

/** The metrics server on `--metrics-addr`: Prometheus text at `/metrics`. */
export class MetricsServer {
  private endpoint: Endpoint | undefined;
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  /** Starts listening; resolves with the actual address. */
  async start(addr: string): Promise<string> {
    this.endpoint = await listen(addr, (req, res) => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': this.registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          res.writeHead(500).end(String(err));
        });
    });
    return this.endpoint.address;
  }

  async stop(): Promise<void> {
    await this.endpoint?.close();
  }
}
