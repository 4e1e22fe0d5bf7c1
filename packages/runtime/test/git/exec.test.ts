import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { ToolError, commandName, formatMs, lastLines, runTool } from '../../src/git/exec.ts';
import { Deadline } from '../../src/util/deadline.ts';
import { tempDir } from './temp-dir.ts';

const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };
const redact = (t: string): string => t.split('top-secret').join('***');

async function failure(p: Promise<unknown>): Promise<ToolError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ToolError)) throw new Error(`expected a ToolError, got ${String(err)}`);
  return err;
}

/** Whether a process no longer runs: gone, or a zombie waiting to be reaped. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return /^\d+ \(.*\) Z /.test(stat);
}

describe('runTool', () => {
  it('returns stdout and stderr of a command that succeeds', async () => {
    const out = await runTool('sh', ['-c', 'echo out; echo err >&2'], { env, deadline: new Deadline(10_000), redact });
    expect(out).toEqual({ stdout: 'out\n', stderr: 'err\n' });
  });

  it('puts the redacted end of stderr into the error', async () => {
    const err = await failure(runTool('sh', ['-c', 'echo "fatal: top-secret leaked" >&2; exit 3'], { env, deadline: new Deadline(10_000), redact }));
    expect({ command: err.command, exitCode: err.exitCode, stopped: err.stopped, stderr: err.stderr, message: err.message }).toEqual({
      command: 'sh',
      exitCode: 3,
      stopped: undefined,
      stderr: 'fatal: *** leaked\n',
      message: 'sh failed (exit 3): fatal: *** leaked',
    });
  });

  it('kills the whole process group when the deadline passes', async () => {
    const dir = await tempDir();
    const pidFile = join(dir, 'pid');
    const started = Date.now();
    const err = await failure(runTool('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { env, deadline: new Deadline(500), redact }));
    expect({ stopped: err.stopped, message: err.message }).toEqual({ stopped: 'timeout', message: 'sh: timed out after 500ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    await eventually(() => expect(gone(grandchild)).toBe(true), { timeoutMs: 5_000, description: 'the background sleep is killed with its group' });
  });

  it('stops on the caller signal and says canceled', async () => {
    const ac = new AbortController();
    const p = runTool('sleep', ['30'], { env, deadline: new Deadline(60_000, ac.signal), redact });
    ac.abort();
    const err = await failure(p);
    expect({ stopped: err.stopped, message: err.message }).toEqual({ stopped: 'canceled', message: 'sleep 30: canceled' });
  });

  it('refuses to start when the deadline already passed', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await failure(runTool('true', [], { env, deadline: new Deadline(60_000, ac.signal), redact }));
    expect(err.stopped).toBe('canceled');
  });

  it('bounds stdout', async () => {
    const err = await failure(runTool('yes', [], { env, deadline: new Deadline(10_000), redact, maxOutputBytes: 100_000 }));
    expect({ stopped: err.stopped, message: err.message }).toEqual({ stopped: 'output-limit', message: 'yes: output exceeded 100000 bytes' });
  });

  it('says when a program is missing', async () => {
    const err = await failure(runTool('no-such-tool-eddy', [], { env, deadline: new Deadline(10_000), redact }));
    expect({ stopped: err.stopped, message: err.message }).toEqual({ stopped: 'spawn-failed', message: 'no-such-tool-eddy: cannot start: no-such-tool-eddy is not installed or not on PATH' });
  });
});

describe('helpers', () => {
  it('names commands without their options', () => {
    expect(commandName('git', ['-c', 'http.extraHeader=Authorization: Bearer x', 'fetch', '--depth', '1'])).toBe('git fetch');
    expect(commandName('git', ['--version'])).toBe('git');
  });
  it.each([
    [500, '500ms'],
    [1000, '1s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
  ])('formatMs(%d) = %s', (ms, want) => {
    expect(formatMs(ms)).toBe(want);
  });
  it('keeps the last non-empty lines', () => {
    expect(lastLines('a\n\nb\r\nc\n', 2)).toBe('b; c');
    expect(lastLines('x'.repeat(2000), 1)).toHaveLength(1000);
  });
});
