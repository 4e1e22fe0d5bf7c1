/**
 * `npm start`: the Eddy demo, on the local environment.
 *
 *   1. the environment: started (building the tools on first use, with progress) or reused
 *   2. a sample fleet repository on the environment's git server (see fleet.ts)
 *   3. the controllers, as local processes (`eddy run`): kwok simulates Pods, so the
 *      Deployments bootstrap installs never run code
 *   4. `eddy bootstrap git` from the repository
 *   5. the Kustomizations as a live table until all are Ready
 *   6. the loop: a commit rolls out, and a `kubectl scale` is undone
 *
 * Then it prints what to try and keeps the controllers running until Ctrl-C; with `--exit`
 * (the default when `CI` is set) it stops them and exits. A second run reuses everything: the
 * repository is reset to the sample's first release and bootstrap commits nothing.
 *
 * Flags (defaults in brackets): --namespace [flux-system], --repo [fleet], --cluster [demo],
 * --app-namespace [podinfo], --infra-namespace [infra], --state-dir [.eddy/demo], --exit.
 * `EDDY_ENV_FILE` names another environment's env.json (tests use their own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { ObjectClient, redactUrls } from '@eddy/runtime';
import { environmentRunning, installEddyCrds, readEnvInfo, repoRoot, runCommand, startEnvironment, stopEnvironment, type EnvInfo } from '@eddy/testkit/env';
import { appsInterval, firstRelease, nextRelease, podinfoImage, productionOverlay, sampleFleet, sampleKustomizations, type FleetNames } from './fleet.ts';
import { rolledOut, shortRevision, untilKustomizationsReady, watchDeployment, type Output, type WatchOptions } from './watch.ts';

/** What the flags chose. */
interface DemoOptions extends FleetNames {
  repo: string;
  stateDir: string;
  exit: boolean;
  envFile?: string;
}

/** How often the GitRepository looks for commits: short, so a push shows up within seconds. */
const sourceInterval = '15s';

const root = repoRoot();
const cliMain = join(root, 'packages', 'cli', 'src', 'main.ts');
const out: Output = process.stdout;
const say = (line = ''): void => void out.write(`${line}\n`);
const rel = (p: string): string => (p.startsWith(`${root}/`) ? relative(root, p) : p);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      namespace: { type: 'string', default: 'flux-system' },
      repo: { type: 'string', default: 'fleet' },
      cluster: { type: 'string', default: 'demo' },
      'app-namespace': { type: 'string', default: 'podinfo' },
      'infra-namespace': { type: 'string', default: 'infra' },
      'state-dir': { type: 'string', default: join(root, '.eddy', 'demo') },
      exit: { type: 'boolean', default: Boolean(env['CI']) },
    },
  });
  return {
    namespace: values.namespace,
    repo: values.repo,
    cluster: values.cluster,
    appNamespace: values['app-namespace'],
    infraNamespace: values['infra-namespace'],
    stateDir: values['state-dir'],
    exit: values.exit,
    ...(env['EDDY_ENV_FILE'] ? { envFile: env['EDDY_ENV_FILE'] } : {}),
  };
}

/** The `eddy run` started by the demo. */
interface Controllers {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: string;
}

class Demo {
  readonly opts: DemoOptions;
  readonly abort = new AbortController();
  readonly times: [string, number][] = [];
  controllers: Controllers | undefined;
  #step = 0;

  constructor(opts: DemoOptions) {
    this.opts = opts;
  }

  step(title: string): void {
    say(`\n━━ ${++this.#step}/6 ${title}`);
  }

  /** Runs `fn`, records how long it took under `name`. */
  async timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const result = await fn();
    this.times.push([name, Date.now() - started]);
    return result;
  }

  /** The environment: the one EDDY_ENV_FILE names, the running `npm run env:up` one, or a new one. */
  async environment(): Promise<EnvInfo> {
    if (this.opts.envFile) return await readEnvInfo(this.opts.envFile);
    const devState = join(root, '.eddy', 'env');
    const running = await environmentRunning(devState);
    if (running) {
      say('  ✔ the local environment is already running');
      return running;
    }
    await stopEnvironment(devState);
    return await startEnvironment({ stateDir: devState, detached: true, log: (m) => say(`  ${m}`) });
  }

  /** PATH with the environment's kustomize (the controllers run it) and kubectl first. */
  toolsPath(env: EnvInfo): string {
    return [...new Set([dirname(env.tools.kustomize), dirname(env.tools.kubectl)]), process.env['PATH'] ?? '/usr/bin:/bin'].join(':');
  }

  /**
   * The repository on the git server and the demo's working copy of it (state dir `fleet/`),
   * reset to the sample's first release. The password lives in a 0600 credentials file the
   * working copy's credential helper reads, never in a URL or on a command line.
   */
  async fleet(env: EnvInfo, work: string): Promise<{ git: (...args: string[]) => Promise<string>; url: string }> {
    const bare = join(env.git.root, `${this.opts.repo}.git`);
    if (!existsSync(bare)) await runCommand(env.tools.git, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    const url = `${env.git.http.url}/${this.opts.repo}.git`;
    const credentials = join(this.opts.stateDir, 'git-credentials');
    const u = new URL(env.git.http.url);
    await writeFile(credentials, `${u.protocol}//${encodeURIComponent(env.git.http.username)}:${encodeURIComponent(env.git.http.password)}@${u.host}\n`, { mode: 0o600 });
    await chmod(credentials, 0o600);
    const gitEnv = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: this.opts.stateDir,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Eddy demo',
      GIT_AUTHOR_EMAIL: 'demo@eddy.invalid',
      GIT_COMMITTER_NAME: 'Eddy demo',
      GIT_COMMITTER_EMAIL: 'demo@eddy.invalid',
    };
    const git = async (...args: string[]): Promise<string> => {
      try {
        return (await runCommand(env.tools.git, ['-C', work, ...args], { env: gitEnv })).trim();
      } catch (err) {
        throw new Error(redactUrls(err instanceof Error ? err.message : String(err)));
      }
    };
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    await git('init', '--quiet', '--initial-branch=main');
    await git('config', 'credential.helper', `store --file=${credentials}`);
    await git('remote', 'add', 'origin', url);
    if (await git('ls-remote', 'origin', 'refs/heads/main')) {
      await git('fetch', '--quiet', 'origin', 'main');
      await git('checkout', '--quiet', '-B', 'main', 'origin/main');
    }
    return { git, url };
  }

  /** Starts `eddy run` for the demo's namespace, its output in the state dir's controllers.log. */
  async startControllers(env: EnvInfo): Promise<Controllers> {
    const log = join(this.opts.stateDir, 'controllers.log');
    const fd = openSync(log, 'w');
    const child = spawn(process.execPath, [cliMain, 'run', '-n', this.opts.namespace, '--watch-all-namespaces=false'], {
      env: { PATH: this.toolsPath(env), HOME: process.env['HOME'] ?? this.opts.stateDir, KUBECONFIG: env.kubeconfig },
      stdio: ['ignore', fd, fd],
      // Its own process group: the demo stops it deliberately, after it has said so.
      detached: true,
    });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const controllers = { child, exited, log };
    this.controllers = controllers;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const text = await readFile(log, 'utf8');
      if (text.includes('✔ kustomize-controller ready')) return controllers;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`eddy run did not start: ${text.trim().split('\n').slice(-5).join(' | ')}`);
      await delay(250, undefined, { signal: this.abort.signal });
    }
  }

  /** Stops the controllers (SIGTERM; SIGKILL to the group after 30s). */
  async stopControllers(): Promise<void> {
    const c = this.controllers;
    if (!c || c.child.exitCode !== null) return;
    say('► stopping the controllers');
    c.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (c.child.pid) process.kill(-c.child.pid, 'SIGKILL');
    }, 30_000);
    await c.exited;
    clearTimeout(timer);
    say(`✔ controllers stopped (their log: ${rel(c.log)})`);
  }

  /** Runs `eddy <args>` showing its progress lines indented; fails with its last line. */
  async eddy(args: string[], env: EnvInfo, extraEnv: Record<string, string>, shown: string): Promise<void> {
    say(`  $ eddy ${shown}`);
    const child = spawn(process.execPath, [cliMain, ...args], {
      env: { PATH: this.toolsPath(env), HOME: process.env['HOME'] ?? this.opts.stateDir, KUBECONFIG: env.kubeconfig, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last = '';
    const show = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        say(`    ${line}`);
        last = line;
      }
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    const onAbort = (): void => void child.kill('SIGTERM');
    this.abort.signal.addEventListener('abort', onAbort, { once: true });
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    this.abort.signal.removeEventListener('abort', onAbort);
    if (code !== 0) throw new Error(`eddy ${args[0] ?? ''} ${args[1] ?? ''} failed: ${last}`);
  }

  async run(): Promise<void> {
    const o = this.opts;
    await mkdir(o.stateDir, { recursive: true });
    say('Eddy demo: a fleet repository bootstrapped and kept reconciled by Eddy, on a local Kubernetes.');

    this.step('The local environment');
    const env = await this.timed('environment', () => this.environment());
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfig);
    const client = new ObjectClient(kc);
    say(`  ✔ Kubernetes ${env.kube.gitVersion} (nodes ${env.kube.nodes.join(', ')}), git server ${env.git.http.url}`);

    this.step(`The fleet repository ${o.repo}.git`);
    const work = join(o.stateDir, 'fleet');
    const { git, url } = await this.fleet(env, work);
    const files = sampleFleet(o);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), text);
    }
    await git('add', '--', ...Object.keys(files));
    if (await git('status', '--porcelain')) {
      const first = !(await git('ls-remote', 'origin', 'refs/heads/main'));
      const subject = first ? 'Sample fleet: infrastructure, and podinfo with a production overlay' : `podinfo back to its first release (${firstRelease.tag}, ${firstRelease.replicas} replicas)`;
      await git('commit', '--quiet', '-m', subject);
      await git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');
      say(`  ✔ pushed "${subject}" to ${url} (${(await git('rev-parse', 'HEAD')).slice(0, 8)})${first ? `: clusters/${o.cluster}/, infrastructure/, apps/base, apps/production` : ''}`);
    } else {
      say(`  ✔ ${url} already holds the sample at its first release`);
    }

    this.step('The controllers, as local processes');
    say('  kwok simulates Pods, so the Deployments bootstrap installs never run code: eddy run runs the same controllers here.');
    await installEddyCrds(env);
    say("  ✔ Eddy's CRDs are installed (the controllers watch them from the start)");
    say(`  $ eddy run -n ${o.namespace} --watch-all-namespaces=false`);
    const controllers = await this.timed('controllers', () => this.startControllers(env));
    say(`  ✔ source-controller and kustomize-controller ready (pid ${String(controllers.child.pid)}, log ${rel(controllers.log)})`);

    this.step('Bootstrap');
    const bootstrap = ['bootstrap', 'git', '-n', o.namespace, '--url', url, '--branch', 'main', '--path', `clusters/${o.cluster}`, '--username', env.git.http.username, '--allow-insecure-http', `--interval=${sourceInterval}`, '--silent'];
    await this.timed('bootstrap', () => this.eddy(bootstrap, env, { GIT_PASSWORD: env.git.http.password }, `${bootstrap.join(' ')}   # password from GIT_PASSWORD`));

    this.step('The Kustomizations, until all are Ready');
    await git('fetch', '--quiet', 'origin', 'main');
    await git('reset', '--quiet', '--hard', 'origin/main');
    const head = `main@sha1:${await git('rev-parse', 'HEAD')}`;
    const watch: WatchOptions = { client, out, signal: this.abort.signal, timeoutMs: 5 * 60_000, indent: '  ' };
    await this.timed('all Ready', () => untilKustomizationsReady(o.namespace, [o.namespace, ...sampleKustomizations], head, watch));
    say(`  ✔ all Ready at ${shortRevision(head)}`);

    this.step('The GitOps loop');
    await writeFile(join(work, 'apps', 'production', 'kustomization.yaml'), productionOverlay(nextRelease));
    const subject = `podinfo ${nextRelease.tag}, ${nextRelease.replicas} replicas in production`;
    await git('commit', '--quiet', '-m', subject, '--', 'apps/production/kustomization.yaml');
    await git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    say(`  ► committed "${subject}" (${(await git('rev-parse', 'HEAD')).slice(0, 8)}) and pushed; the GitRepository looks every ${sourceInterval}`);
    const image = `${podinfoImage}:${nextRelease.tag}`;
    await this.timed('rollout', () => watchDeployment(o.appNamespace, 'podinfo', (s) => rolledOut(s, image, nextRelease.replicas), watch));
    say(`  ✔ rolled out: ${nextRelease.replicas} of ${nextRelease.replicas} Pods run ${image}, ${seconds(this.times.at(-1)?.[1] ?? 0)} after the push`);

    const scale = ['-n', o.appNamespace, 'scale', 'deployment/podinfo', '--replicas=1'];
    say(`  $ kubectl ${scale.join(' ')}`);
    // The generation kubectl's change made: the revert is a later one, however soon it comes.
    const scaled = JSON.parse(await runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, ...scale, '-o', 'json'])) as { metadata: { generation: number } };
    await this.timed('drift undone', () => watchDeployment(o.appNamespace, 'podinfo', (s) => s.generation > scaled.metadata.generation && rolledOut(s, image, nextRelease.replicas), watch));
    say(`  ✔ reverted: the next apply of Kustomization apps (every ${appsInterval} at the latest) put back ${nextRelease.replicas} replicas, ${seconds(this.times.at(-1)?.[1] ?? 0)} after the scale`);

    say(`\nDone: ${this.times.map(([n, ms]) => `${n} ${seconds(ms)}`).join(', ')}.`);
    this.lookAround(env, work);
  }

  lookAround(env: EnvInfo, work: string): void {
    const o = this.opts;
    const ns = o.namespace === 'flux-system' ? '' : ` -n ${o.namespace}`;
    say('\nLook around (in another shell):');
    say(`  export KUBECONFIG=${env.kubeconfig}`);
    say(`  export PATH=${[...new Set([dirname(env.tools.kubectl), dirname(env.tools.kustomize)])].join(':')}:$PATH   # the environment's kubectl ${env.kube.gitVersion} and kustomize`);
    say(`  kubectl get kustomizations,gitrepositories -n ${o.namespace}`);
    say(`  kubectl get deployment,pods -n ${o.appNamespace}`);
    say(`  kubectl -n ${o.appNamespace} scale deployment/podinfo --replicas=1   # undone within ${appsInterval}`);
    say(`  npm run eddy -- get all${ns}`);
    say(`  npm run eddy -- tree kustomization ${o.namespace}${ns}`);
    say(`  npm run eddy -- events --for Kustomization/apps${ns}`);
    say(`  cd ${rel(work)} && git log --oneline      # the fleet: edit, commit and git push, and watch the cluster follow`);
    say(`  npm run eddy -- diff kustomization apps${ns} --path $PWD/apps/production   # in ${rel(work)}: what a change would do, before committing it`);
    say('Stop:');
    if (o.exit) say('  the controllers stop now (--exit); npm start again runs the demo again; npm run env:down stops the environment.');
    else say('  Ctrl-C stops the controllers (npm start starts them again); npm run env:down stops the environment.');
  }
}

const demo = new Demo(parseOptions(process.argv.slice(2), process.env));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => demo.abort.abort());
let code = 0;
try {
  await demo.run();
  if (!demo.opts.exit) {
    say('\n◎ the controllers keep the cluster in sync with the repository; Ctrl-C stops them');
    const exited = demo.controllers?.exited ?? new Promise<null>(() => undefined);
    const stopped = new Promise<'stop'>((resolve) => demo.abort.signal.addEventListener('abort', () => resolve('stop'), { once: true }));
    if ((await Promise.race([stopped, exited])) !== 'stop') throw new Error(`the controllers exited on their own: see ${rel(demo.controllers?.log ?? '')}`);
  }
} catch (err) {
  if (demo.abort.signal.aborted) {
    say('\n✗ interrupted');
    code = 130;
  } else {
    say(`\n✗ ${redactUrls(err instanceof Error ? err.message : String(err))}`);
    if (demo.controllers) say(`  the controllers' log: ${rel(demo.controllers.log)}`);
    code = 1;
  }
} finally {
  await demo.stopControllers();
}
process.exit(code);
