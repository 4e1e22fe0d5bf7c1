/**
 * `eddy run`: the chosen controllers as local processes against the current kubeconfig, for
 * development and for clusters whose Pods do not run (kwok). Each is its own package's
 * `src/main.ts` started with Node (the CLI never imports a controller), on free local ports;
 * source-controller's artifacts are advertised on 127.0.0.1 so kustomize-controller downloads
 * them. Runs until SIGINT/SIGTERM, then stops the controllers gracefully; a controller that
 * exits on its own stops the others and fails the command.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { booleanValue, collect } from '../flags.ts';
import { defaultComponents, selectComponents, type Component } from '../install/components.ts';
import { packagesDir } from '../version.ts';

interface RunOptions {
  components?: string[];
  watchAllNamespaces: boolean;
  logLevel: string;
  storagePath?: string;
}

/** How long a controller has to become ready, and to stop after SIGTERM. */
const readyTimeoutMs = 60_000;
const stopTimeoutMs = 20_000;

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A started controller. */
interface Running {
  component: Component;
  child: ChildProcess;
  healthAddr: string;
  exited: Promise<number | null>;
}

/** Copies a child's output to `out`, each line prefixed with the controller's name. */
function prefixLines(stream: NodeJS.ReadableStream | null, name: string, out: { write(text: string): unknown }): void {
  let rest = '';
  stream?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
  stream?.on('end', () => {
    if (rest) out.write(`[${name}] ${rest}\n`);
  });
}

/** Waits until the controller's /readyz answers 200 (its caches synced), or it exits. */
async function waitReady(r: Running, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  let exited = false;
  void r.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new CliError(`${r.component.name} exited before it was ready (see its log lines above)`);
    try {
      if ((await fetch(`http://${r.healthAddr}/readyz`, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(250, undefined, { signal });
  }
  throw new CliError(`${r.component.name} was not ready within ${readyTimeoutMs / 1000}s (GET http://${r.healthAddr}/readyz)`);
}

/**
 * The kubeconfig the controllers get: the CLI's resolved configuration (`--kubeconfig`,
 * `--context`) written to `dir`, since the controllers know no `--context`.
 */
async function kubeconfigFile(ctx: CliContext, dir: string): Promise<string> {
  const file = join(dir, 'kubeconfig');
  await writeFile(file, ctx.kubeConfig().exportConfig(), { mode: 0o600 });
  return file;
}

/** Registers `eddy run`. */
export function registerRun(program: Command, contextOf: (cmd: Command) => CliContext): void {
  program
    .command('run')
    .description('Run the controllers as local processes against the current cluster (until Ctrl-C)')
    .option('--components <names>', `controllers to run (comma-separated or repeated; default ${defaultComponents.join(',')})`, collect)
    .option('--watch-all-namespaces [bool]', 'reconcile objects in every namespace (false: only --namespace)', booleanValue, true)
    .option('--log-level <level>', "controllers' log level: trace, debug, info, error", 'info')
    .option('--storage-path <dir>', "source-controller's artifact folder (default: a temporary folder, removed at exit)")
    .action(async (opts: RunOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const components = selectComponents(opts.components);
      const work = await mkdtemp(join(tmpdir(), 'eddy-run-'));
      const running: Running[] = [];
      let stopping = false;
      const stopAll = async (): Promise<void> => {
        stopping = true;
        for (const r of running) r.child.kill('SIGTERM');
        await Promise.all(
          running.map(async (r) => {
            const timer = setTimeout(() => r.child.kill('SIGKILL'), stopTimeoutMs);
            await r.exited;
            clearTimeout(timer);
          }),
        );
        await rm(work, { recursive: true, force: true });
      };
      try {
        const kubeconfig = await kubeconfigFile(ctx, work);
        for (const c of components) {
          const metrics = `127.0.0.1:${await freePort()}`;
          const healthAddr = `127.0.0.1:${await freePort()}`;
          const args = [
            join(packagesDir(), c.name, 'src', 'main.ts'),
            `--kubeconfig=${kubeconfig}`,
            `--watch-all-namespaces=${String(opts.watchAllNamespaces)}`,
            `--metrics-addr=${metrics}`,
            `--health-addr=${healthAddr}`,
            `--log-level=${opts.logLevel}`,
            '--log-encoding=console',
          ];
          let note = `metrics http://${metrics}/metrics, health http://${healthAddr}/readyz`;
          if (c.name === 'source-controller') {
            const storage = `127.0.0.1:${await freePort()}`;
            args.push(`--storage-path=${opts.storagePath ?? join(work, 'storage')}`, `--storage-addr=${storage}`, `--storage-adv-addr=${storage}`);
            note += `, artifacts http://${storage}`;
          }
          ctx.progress.action(`starting ${c.name} (${note})`);
          const child = spawn(process.execPath, args, { env: { ...ctx.io.env, RUNTIME_NAMESPACE: ctx.namespace }, stdio: ['ignore', 'pipe', 'pipe'] });
          prefixLines(child.stdout, c.name, ctx.io.stderr);
          prefixLines(child.stderr, c.name, ctx.io.stderr);
          const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
          running.push({ component: c, child, healthAddr, exited });
        }
        for (const r of running) {
          await waitReady(r, AbortSignal.timeout(readyTimeoutMs));
          ctx.progress.success(`${r.component.name} ready`);
        }
        ctx.progress.waiting(`controllers running in ${opts.watchAllNamespaces ? 'all namespaces' : `${ctx.namespace} namespace`}; Ctrl-C stops them`);
        const stop = new Promise<'stop'>((resolve) => ctx.io.onStop?.(() => resolve('stop')));
        const first = await Promise.race([stop, ...running.map(async (r) => ({ r, code: await r.exited }))]);
        if (first !== 'stop' && !stopping) {
          throw new CliError(`${first.r.component.name} exited with code ${String(first.code)} (see its log lines above)`);
        }
        ctx.progress.action('stopping controllers');
      } finally {
        await stopAll();
      }
      ctx.progress.success('controllers stopped');
    });
}
