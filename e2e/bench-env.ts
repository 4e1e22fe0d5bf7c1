/**
 * Benchmark: how long the environment takes to start (until the kwok Nodes are Ready) and to
 * stop, on warm tools. Starts and stops it `--runs` times (default 5) in a scratch state folder
 * and prints min / median / max.
 *
 *   npm run bench:env [-- --runs 5]
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureTools, repoRoot, startEnvironment, stopEnvironment } from '@eddy/testkit/env';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number.parseInt(process.argv[runsArg + 1] ?? '', 10) : 5;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: bench-env.ts [--runs N]');
  process.exit(2);
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `min ${s[0]!.toFixed(2)}s  median ${median.toFixed(2)}s  max ${s[s.length - 1]!.toFixed(2)}s`;
};

await ensureTools(undefined, (m) => console.error(m));
const stateDir = join(repoRoot(), '.eddy', 'bench-env');
const up: number[] = [];
const down: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await startEnvironment({ stateDir, log: () => undefined });
    up.push((performance.now() - t) / 1000);
    t = performance.now();
    await stopEnvironment(stateDir);
    down.push((performance.now() - t) / 1000);
    console.error(`run ${i + 1}/${runs}: up ${up.at(-1)!.toFixed(2)}s, down ${down.at(-1)!.toFixed(2)}s`);
  }
} finally {
  await stopEnvironment(stateDir);
  await rm(stateDir, { recursive: true, force: true });
}
console.log(`environment start until Nodes Ready (${runs} runs): ${stats(up)}`);
console.log(`environment stop (${runs} runs):                    ${stats(down)}`);
