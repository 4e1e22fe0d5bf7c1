/**
 * The environment's command line, behind the npm scripts:
 *
 *   up       build what is missing, start the environment in .eddy/env, print how to use it
 *   down     stop it
 *   status   say whether it runs, and print its summary
 *   test     the README's test command: start a fresh environment for this run, run every
 *            project's build, lint and test targets through nx against it (never replayed
 *            from nx's cache: the tests run against this environment), stop it
 */
import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  environmentRunning,
  repoRoot,
  startEnvironment,
  stopEnvironment,
  type EnvInfo,
} from '@eddy/testkit/env';

const root = repoRoot();
const devState = join(root, '.eddy', 'env');

function summary(info: EnvInfo): string {
  const rel = (p: string): string => (p.startsWith(root + '/') ? p.slice(root.length + 1) : p);
  return [
    `Kubernetes ${info.kube.gitVersion} at ${info.kube.server} (nodes: ${info.kube.nodes.join(', ')})`,
    `  kubeconfig      ${rel(info.kubeconfig)}`,
    `  try             kubectl --kubeconfig ${rel(info.kubeconfig)} get nodes`,
    `  (kubectl ${info.kube.gitVersion}: ${info.tools.kubectl})`,
    `git over HTTP     ${info.git.http.url}/<repo>.git  (user ${info.git.http.username}; password in env.json)`,
    `git over SSH      ${info.git.ssh.url}/<repo>.git  (key ${rel(info.git.ssh.privateKeyFile)}, known_hosts ${rel(info.git.ssh.knownHostsFile)})`,
    `OCI registry      ${info.registry.plain.host} (no auth), ${info.registry.auth.host} (user ${info.registry.auth.username})`,
    `Helm repository   ${info.helm.plain.url} (no auth), ${info.helm.auth.url} (user ${info.helm.auth.username})`,
    `endpoints and credentials: ${rel(join(devState, 'env.json'))}; logs: ${rel(join(info.runDir, 'logs'))}/`,
  ].join('\n');
}

async function up(): Promise<number> {
  const running = await environmentRunning(devState);
  if (running) {
    console.log(`The environment is already running.\n${summary(running)}`);
    return 0;
  }
  // A previous run that died half-way: stop what is left of it first.
  await stopEnvironment(devState);
  const started = Date.now();
  const info = await startEnvironment({ stateDir: devState, detached: true, log: (m) => console.log(m) });
  console.log(`\nThe environment is up (${((Date.now() - started) / 1000).toFixed(1)}s).\n${summary(info)}\nStop it with: npm run env:down`);
  return 0;
}

async function down(): Promise<number> {
  const stopped = await stopEnvironment(devState);
  console.log(stopped.length ? `Stopped ${stopped.join(', ')}.` : 'No environment was running.');
  return 0;
}

async function status(): Promise<number> {
  const info = await environmentRunning(devState);
  console.log(info ? `running\n${summary(info)}` : 'not running');
  return info ? 0 : 1;
}

/** Removes earlier test runs' folders whose environment is gone, keeping the disk tidy. */
async function removeOldTestRuns(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries) {
    const stateDir = join(dir, e);
    if (!(await environmentRunning(stateDir))) await rm(stateDir, { recursive: true, force: true });
  }
}

async function test(args: string[]): Promise<number> {
  const testEnvs = join(root, '.eddy', 'test-env');
  await removeOldTestRuns(testEnvs);
  const stateDir = join(testEnvs, `run-${process.pid}`);
  const stop = async (): Promise<void> => {
    await stopEnvironment(stateDir);
  };
  const onSignal = (): void => {
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await startEnvironment({ stateDir, log: (m) => console.log(m) });
    const nx = join(root, 'node_modules', '.bin', 'nx');
    const code = await new Promise<number>((resolve) => {
      const child = spawn(nx, ['run-many', '-t', 'build', 'lint', 'test', '--outputStyle=stream', '--skip-nx-cache', ...args], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, EDDY_ENV_FILE: join(stateDir, 'env.json'), NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      });
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) console.log(`\nThe environment's logs stay in ${join(stateDir, 'run', 'logs')}/`);
    return code;
  } finally {
    await stop();
  }
}

const [command = '', ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<number>> = { up, down, status, test };
const run = commands[command];
if (!run) {
  console.error(`usage: cli.ts ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
run(rest).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
