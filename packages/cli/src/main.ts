#!/usr/bin/env node
/** The `eddy` executable: wiring only. Runs the command line against this process' streams and environment. */
import { createInterface } from 'node:readline/promises';
import { runCli } from './program.ts';

/** Asks on the terminal; only offered when stdin is one. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Long-running commands (eddy run) take over SIGINT/SIGTERM; the others keep the default (exit). */
function onStop(listener: () => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, listener);
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onStop,
  ...(process.stdin.isTTY ? { confirm } : {}),
});
