/**
 * @eddy/testkit/bench: what the benchmark scripts share, without any test-runner dependency:
 * their command-line options, the environment they run against, and controllers run as real
 * processes whose peak RSS and CPU time are read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { environmentRunning, startEnvironment, stopEnvironment } from './env/environment.ts';
import type { EnvInfo } from './env/info.ts';
import { repoRoot } from './repo-root.ts';

export { freePort } from './env/ports.ts';

/** The value after `--<name>` on the command line, or `fallback`; exits with a usage error when it is not a number. */
export function numberArg(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const raw = stringArg(name, '', argv);
  if (raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    console.error(`--${name} must be a number, got '${raw}'`);
    process.exit(2);
  }
  return value;
}

/** The value after `--<name>` (or of `--<name>=value`) on the command line, or `fallback`. */
export function stringArg(name: string, fallback: string, argv: readonly string[] = process.argv): string {
  const prefix = `--${name}=`;
  const joined = argv.find((a) => a.startsWith(prefix));
  if (joined !== undefined) return joined.slice(prefix.length);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
}

/** Whether the bare flag `--<name>` is on the command line. */
export function flagArg(name: string, argv: readonly string[] = process.argv): boolean {
  return argv.includes(`--${name}`);
}

/** The environment a benchmark runs against, and how to let go of it. */
export interface BenchEnvironment {
  env: EnvInfo;
  /** Whether the benchmark started this environment itself (else it is the developer's `env:up`). */
  own: boolean;
  /** Stops and removes the environment when the benchmark started it; a no-op otherwise. */
  release(): Promise<void>;
}

/**
 * The running `npm run env:up` environment, or else (or with `own`) one started for this
 * benchmark in `.eddy/<name>` (stopped and removed by {@link BenchEnvironment.release}). An
 * own environment keeps the benchmark's load off the shared one, and other work's objects out
 * of the benchmark's etcd.
 */
export async function benchEnvironment(name: string, opts: { own?: boolean; extraArgs?: Record<string, string[]> } = {}): Promise<BenchEnvironment> {
  const running = opts.own ? undefined : await environmentRunning(join(repoRoot(), '.eddy', 'env'));
  if (running) return { env: running, own: false, release: async () => undefined };
  const stateDir = join(repoRoot(), '.eddy', name);
  const env = await startEnvironment({ stateDir, log: (m) => console.error(m), ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}) });
  return {
    env,
    own: true,
    release: async () => {
      await stopEnvironment(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** CPU time a process used, in seconds: its own, and that of its children it has waited for (e.g. tool processes). */
export interface CpuSeconds {
  self: number;
  children: number;
}

/** Options of {@link startBenchProcess}. */
export interface BenchProcessOptions {
  /** Short name used in messages, e.g. `kustomize-controller`. */
  name: string;
  /** The entry point (TypeScript, or a bundle), run with this process' Node.js. */
  entry: string;
  /** Node.js and V8 flags before the entry point (some, like `--optimize-for-size`, are refused in NODE_OPTIONS). */
  nodeArgs?: string[];
  args: string[];
  /** File receiving the process' stdout and stderr (its JSON log). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** How often the RSS of the process and its descendants is sampled (default 500 ms); 0 disables sampling. */
  sampleIntervalMs?: number;
}

/** A process started by {@link startBenchProcess}. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Set once the process has exited. */
  readonly exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Resolves when the process exits (for racing against what the benchmark waits for). */
  readonly exit: Promise<void>;
  /** The process' peak resident set (VmHWM), in MiB. Read it before {@link stop}. */
  peakRssMiB(): Promise<number>;
  /** The largest sampled RSS of the process plus its descendants (tool processes it spawned), in MiB. */
  readonly peakTreeRssMiB: number;
  /** CPU seconds used so far. Read it before {@link stop}. */
  cpuSeconds(): Promise<CpuSeconds>;
  /** Log lines at level error so far. */
  errorLines(): Promise<number>;
  /** The last `n` log lines, for a failure message. */
  tail(n?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const userHz = 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), 0-based from field 3. */
async function statFields(pid: number): Promise<string[]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The `<key>: <n> kB` value of /proc/<pid>/status, in KiB (0 when absent). */
async function statusKiB(pid: number, key: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
}

/** CPU seconds process `pid` has used so far (its own, and its reaped children's). */
export async function processCpuSeconds(pid: number): Promise<CpuSeconds> {
  // utime, stime, cutime, cstime are fields 14 to 17 of /proc/<pid>/stat.
  const [utime, stime, cutime, cstime] = (await statFields(pid)).slice(11, 15).map(Number) as [number, number, number, number];
  return { self: (utime + stime) / userHz, children: (cutime + cstime) / userHz };
}

/** The machine's CPU time so far, in seconds summed over all cores: busy, and in all (busy + idle + iowait). */
export async function machineCpuSeconds(): Promise<{ busy: number; total: number }> {
  // The first line of /proc/stat: cpu user nice system idle iowait irq softirq steal ...
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: (total - idle) / userHz, total: total / userHz };
}

/** The RSS of `root` and all its live descendants, in KiB (a process gone while reading counts as 0). */
export async function treeRssKiB(root: number): Promise<number> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = Number((await statFields(pid).catch(() => []))[1]);
    if (ppid) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  let total = 0;
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    total += await statusKiB(pid, 'VmRSS').catch(() => 0);
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Starts a controller (or any TypeScript entry point) as a separate Node.js process with its
 * log going to a file, and samples the RSS of its process tree in the background.
 */
export function startBenchProcess(opts: BenchProcessOptions): BenchProcess {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.entry, ...opts.args], { stdio: ['ignore', fd, fd], env: opts.env ?? process.env });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${opts.name}: could not start ${opts.entry}`);
  let exited: BenchProcess['exited'];
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.on('error', () => {
      exited ??= { code: -1, signal: null };
      resolve();
    });
  });
  let peakTreeKiB = 0;
  let sampling = false;
  const interval = opts.sampleIntervalMs ?? 500;
  const sampler =
    interval > 0
      ? setInterval(() => {
          // One sample at a time: a slow /proc scan must not pile up.
          if (sampling || exited) return;
          sampling = true;
          treeRssKiB(pid)
            .then((kib) => (peakTreeKiB = Math.max(peakTreeKiB, kib)))
            .catch(() => undefined)
            .finally(() => (sampling = false));
        }, interval)
      : undefined;
  const log = async (): Promise<string[]> => (await readFile(opts.logFile, 'utf8').catch(() => '')).split('\n');
  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    get exited() {
      return exited;
    },
    exit,
    get peakTreeRssMiB() {
      return peakTreeKiB / 1024;
    },
    peakRssMiB: async () => (await statusKiB(pid, 'VmHWM')) / 1024,
    cpuSeconds: () => processCpuSeconds(pid),
    errorLines: async () => (await log()).filter((l) => l.includes('"level":"error"')).length,
    tail: async (n = 30) => (await log()).filter(Boolean).slice(-n).join('\n'),
    stop: async (graceMs = 10_000) => {
      clearInterval(sampler);
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
