/**
 * Running the `git` CLI (and the tools git's signature checks call: `gpg`, `ssh-keygen`) as a
 * child process: an argument array and no shell, an explicit environment, a deadline and the
 * reconcile's AbortSignal, bounded output, and stderr in the error.
 *
 * Why not simple-git: it refuses the settings this adapter needs on purpose (a per-call
 * `GIT_SSH_COMMAND`, credential helpers, `protocol.*.allow`) unless its "unsafe" switches are
 * turned on, it inherits `process.env`, and it kills only the git process on abort, not the
 * `git-remote-https`/`ssh` children git forks. Spawning directly keeps each of those under
 * our control: the child runs in its own process group, and the whole group is killed on
 * timeout or cancellation, so nothing is left talking to the server after we gave up.
 */
import { spawn } from 'node:child_process';
import type { Deadline } from '../util/deadline.ts';

/** Default limit on a command's stdout; larger output is an error, not a truncation. */
export const defaultMaxOutputBytes = 4 * 1024 * 1024;

/** How much of a command's stderr is kept (its end: git prints the fatal line last). */
const maxStderrBytes = 64 * 1024;

/** Options of {@link runTool}. */
export interface RunToolOptions {
  /** The complete environment of the child: nothing is inherited from this process. */
  env: Record<string, string>;
  deadline: Deadline;
  cwd?: string;
  /** Bytes of stdout accepted before the command is killed; {@link defaultMaxOutputBytes}. */
  maxOutputBytes?: number;
  /** Removes secrets from text that leaves this module (stderr, the command line). */
  redact: (text: string) => string;
}

/** The result of a command that exited 0. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/**
 * A command that failed: non-zero exit, killed on timeout or cancellation, too much output, or
 * not startable. `stderr` and the message are already redacted.
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  /** The command, e.g. `git fetch`, without arguments that could carry secrets. */
  readonly command: string;
  /** Exit code, or undefined when the process was killed or never started. */
  readonly exitCode: number | undefined;
  /** The end of stderr (redacted). */
  readonly stderr: string;
  /** Why it stopped, when it was not an ordinary exit. */
  readonly stopped: 'timeout' | 'canceled' | 'output-limit' | 'spawn-failed' | undefined;

  constructor(fields: { command: string; exitCode: number | undefined; stderr: string; stopped: ToolError['stopped']; message: string }) {
    super(fields.message);
    this.command = fields.command;
    this.exitCode = fields.exitCode;
    this.stderr = fields.stderr;
    this.stopped = fields.stopped;
  }
}

/**
 * The name of a command for messages: the program and its subcommand (`git fetch`), skipping
 * `-c key=value` pairs and other options, which are never shown.
 */
export function commandName(program: string, args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-c' || a === '-C') {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return `${program} ${a}`;
  }
  return program;
}

/**
 * Runs a program with an argument array (no shell) and resolves with its output when it exits
 * 0. Rejects with a {@link ToolError} otherwise. The child gets its own process group, killed
 * as a whole with SIGKILL when the deadline fires or the output limit is exceeded.
 */
export async function runTool(program: string, args: readonly string[], opts: RunToolOptions): Promise<ToolOutput> {
  const command = commandName(program, args);
  const maxOut = opts.maxOutputBytes ?? defaultMaxOutputBytes;
  const { deadline } = opts;
  if (deadline.signal.aborted) {
    throw stoppedError(command, deadline.expired ?? 'canceled', '', deadline);
  }
  return await new Promise<ToolOutput>((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a kill reaches git's helpers (remote-https, ssh) too.
      detached: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = Buffer.alloc(0);
    let stopped: ToolError['stopped'];

    const killGroup = (): void => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const onAbort = (): void => {
      stopped ??= deadline.expired ?? 'canceled';
      killGroup();
    };
    deadline.signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxOut) {
        stopped ??= 'output-limit';
        killGroup();
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err = Buffer.concat([err, b]);
      if (err.length > maxStderrBytes) err = err.subarray(err.length - maxStderrBytes);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      deadline.signal.removeEventListener('abort', onAbort);
      const hint = e.code === 'ENOENT' ? `${program} is not installed or not on PATH` : e.message;
      reject(new ToolError({ command, exitCode: undefined, stderr: '', stopped: 'spawn-failed', message: opts.redact(`${command}: cannot start: ${hint}`) }));
    });
    child.on('close', (code) => {
      deadline.signal.removeEventListener('abort', onAbort);
      const stderr = opts.redact(err.toString('utf8'));
      if (stopped === 'timeout' || stopped === 'canceled') {
        reject(stoppedError(command, stopped, stderr, deadline));
        return;
      }
      if (stopped === 'output-limit') {
        reject(new ToolError({ command, exitCode: undefined, stderr, stopped, message: `${command}: output exceeded ${maxOut} bytes` }));
        return;
      }
      if (code === 0) {
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr });
        return;
      }
      const said = lastLines(stderr, 6);
      reject(new ToolError({ command, exitCode: code ?? undefined, stderr, stopped: undefined, message: `${command} failed (exit ${code ?? 'signal'})${said ? `: ${said}` : ''}` }));
    });
  });
}

function stoppedError(command: string, why: 'timeout' | 'canceled', stderr: string, deadline: Deadline): ToolError {
  const message = why === 'timeout' ? `${command}: timed out after ${formatMs(deadline.timeoutMs)}` : `${command}: canceled`;
  return new ToolError({ command, exitCode: undefined, stderr, stopped: why, message });
}

/** A duration in the unit people write in `spec.timeout`: `60s`, `1m30s`, `500ms`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
}

/** The last `n` non-empty lines of a text, joined with `; ` and bounded to 1,000 characters. */
export function lastLines(text: string, n: number): string {
  const lines = text
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter(Boolean);
  const joined = lines.slice(-n).join('; ');
  return joined.length > 1000 ? `…${joined.slice(-999)}` : joined;
}
