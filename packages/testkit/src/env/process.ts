/**
 * Starting and stopping the environment's processes. Each runs in its own process group
 * (detached, so `setsid`), writes stdout and stderr to `<runDir>/logs/<name>.log`, and is
 * stopped by signalling the whole group: nothing it forked is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** A started process, as recorded in env.json so another process can stop it. */
export interface ProcessRecord {
  name: string;
  pid: number;
  log: string;
  /** How it was started, so it can be restarted the same way. */
  command: string;
  args: string[];
}

/** A process started by this process: its record plus how to learn that it exited. */
export interface ManagedProcess extends ProcessRecord {
  child: ChildProcess;
  /** Set once the process has exited, with its code or signal. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** Options for {@link startProcess}. */
export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a command in its own process group with its output going to its log file. */
export function startProcess(opts: StartOptions): ManagedProcess {
  const log = join(opts.logDir, `${opts.name}.log`);
  const fd = openSync(log, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`${opts.name}: could not start ${opts.command}`);
    const managed: ManagedProcess = { name: opts.name, pid: child.pid, log, command: opts.command, args: opts.args, child, exited: undefined };
    child.on('exit', (code, signal) => {
      managed.exited = { code, signal };
    });
    // A spawn failure (e.g. ENOENT) arrives as an event; it is reported through `exited`.
    child.on('error', () => {
      managed.exited ??= { code: -1, signal: null };
    });
    return managed;
  } finally {
    closeSync(fd);
  }
}

/** Lets the current Node process exit while the started processes keep running. */
export function detach(p: ManagedProcess): void {
  p.child.unref();
}

/** Whether a process group still has a live member. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a process group: SIGTERM, then SIGKILL when it has not gone after `graceMs`.
 * Resolves once no member of the group is left.
 */
export async function stopGroup(pid: number, graceMs = 5_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  if (!groupAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await delay(50);
  if (!groupAlive(pid)) return;
  signal('SIGKILL');
  const hardDeadline = Date.now() + 5_000;
  while (groupAlive(pid) && Date.now() < hardDeadline) await delay(50);
}

/** The last `lines` lines of a log file (empty when there is none). */
export async function tailLog(file: string, lines = 30): Promise<string> {
  try {
    const { size } = await stat(file);
    const fh = await open(file, 'r');
    try {
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      return buf.toString('utf8').split('\n').slice(-lines - 1).join('\n').trimEnd();
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** Raised when a component does not come up; carries the tail of its log. */
export class ComponentStartError extends Error {
  readonly component: string;
  readonly logTail: string;
  constructor(component: string, reason: string, logFile: string, logTail: string) {
    super(`${component} did not start: ${reason}\n--- last lines of ${logFile} ---\n${logTail}`);
    this.component = component;
    this.logTail = logTail;
  }
}

/**
 * Waits until `probe` resolves true, failing early when the process exits and after
 * `timeoutMs` otherwise. Each failure carries the tail of the process' log.
 */
export async function waitReady(
  p: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'not ready';
  for (;;) {
    if (p.exited) {
      const how = p.exited.signal ? `signal ${p.exited.signal}` : `code ${p.exited.code}`;
      throw new ComponentStartError(p.name, `exited with ${how}`, p.log, await tailLog(p.log));
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new ComponentStartError(p.name, `not ready after ${timeoutMs / 1000}s (${lastError})`, p.log, await tailLog(p.log));
    }
    await delay(intervalMs);
  }
}

/** Runs a short command to completion (argument array, no shell), returning stdout. */
export async function runCommand(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else {
        // Some tools (e.g. `go mod download -json`, eslint) report errors on stdout.
        const tail = (b: Buffer[]): string => Buffer.concat(b).toString().trim().split('\n').slice(-30).join('\n');
        const said = [tail(err), tail(out)].filter(Boolean).join('\n');
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${said}`));
      }
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
