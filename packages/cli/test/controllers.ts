/** `eddy run` as a long-running subprocess of a test: the real controllers, limited to one namespace. */
import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from '@eddy/testkit';
import { eddyEnv, eddyMain } from './helpers.ts';

/** A running `eddy run`. */
export interface RunningControllers {
  /** Everything it printed so far. */
  output(): string;
  /** Sends SIGTERM and resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `eddy run -n <namespace> --watch-all-namespaces=false` and waits until both controllers are ready. */
export async function startControllers(namespace: string, extraArgs: readonly string[] = []): Promise<RunningControllers> {
  const child: ChildProcess = spawn(process.execPath, [eddyMain, 'run', '-n', namespace, '--watch-all-namespaces=false', '--log-level=error', ...extraArgs], {
    env: eddyEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`eddy run exited: ${out}`);
      if (!out.includes('✔ kustomize-controller ready')) throw new Error(`not ready yet: ${out}`);
    },
    { timeoutMs: 60_000, description: 'eddy run: controllers ready' },
  );
  return {
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      return await exited;
    },
  };
}
