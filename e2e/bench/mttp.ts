/**
 * The Mean-Time-To-Production benchmark, in the shape of Flux's own: one OCI artifact holding an
 * app (a Deployment scaled to zero, a ServiceAccount, a Service and a ConfigMap, each named by
 * the `${INDEX}` post-build variable), and N apps, each an OCIRepository pulling that artifact
 * plus a Kustomization applying it (as a namespace-admin service account, with prune, wait and a
 * 1m timeout), all created at once in one namespace. It measures the time from the first create
 * until every OCIRepository and every Kustomization is Ready (seen through watches), and each
 * controller's peak RSS (VmHWM), the sampled peak RSS of its process tree (kustomize-controller
 * runs the real `kustomize` as child processes) and its CPU seconds; then it deletes everything
 * and writes the figures to e2e/bench/results/mttp-<N>[-<tag>].{json,md}.
 *
 * source-controller and kustomize-controller run as separate processes from their src/main.ts,
 * once per profile: `defaults` (Flux's default flags), `flux-benchmark` (the concurrency Flux's
 * benchmark deploys its controllers with: source-controller 10, kustomize-controller 20) and
 * `raised-qps` (that, with `--kube-api-qps=500 --kube-api-burst=1000`).
 *
 *   npm run bench:mttp -- --apps 100 [--profiles defaults,flux-benchmark,raised-qps] [--own-env] [--tag name]
 *     [--controllers <checkout>] [--timeout 900] [--source-args '...'] [--kustomize-args '--requeue-dependency=5s']
 *     [--controller-node-options '--cpu-prof'] [--from-source] [--kcm-args '--kube-api-qps=300'] [--out <folder>]
 *   npm run bench:mttp -- --render e2e/bench/results/mttp-1000.json   # the .md again from the .json
 *
 * `--controllers` runs the controllers of another checkout (say, a git worktree at an older
 * commit, with node_modules) against the same benchmark, to compare versions.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import type { Condition, Kustomization, OCIRepository } from '@eddy/api';
import { bundleController, controllerV8Flags, controllers } from '../bundle.ts';
import { Informer, ObjectClient, createLogger, mapLimit } from '@eddy/runtime';
import { installEddyCrds, pushArtifact } from '@eddy/testkit';
import { benchEnvironment, flagArg, freePort, machineCpuSeconds, numberArg, processCpuSeconds, startBenchProcess, stringArg, type BenchProcess, type CpuSeconds } from '@eddy/testkit/bench';
import { markdown, type ControllerFigures, type MttpResults, type RunFigures } from './mttp-results.ts';
import { repoRoot, runCommand, type EnvInfo } from '@eddy/testkit/env';

/** The controller flags of each profile, beyond what every run passes. */
const profiles: Record<string, { source: string[]; kustomize: string[]; note: string }> = {
  defaults: { source: [], kustomize: [], note: "Flux's default flags (source-controller --concurrent=2, kustomize-controller --concurrent=4, --kube-api-qps=50, --kube-api-burst=300)" },
  'flux-benchmark': { source: ['--concurrent=10'], kustomize: ['--concurrent=20'], note: "the concurrency of Flux's benchmark (source-controller 10, kustomize-controller 20)" },
  'raised-qps': {
    source: ['--concurrent=10', '--kube-api-qps=500', '--kube-api-burst=1000'],
    kustomize: ['--concurrent=20', '--kube-api-qps=500', '--kube-api-burst=1000'],
    note: "Flux's benchmark concurrency with the client-side rate limit raised tenfold, to show what the API rate limit costs",
  },
};

// Rendering a results file again needs neither a cluster nor the controllers.
const render = stringArg('render', '');
if (render) {
  const results = JSON.parse(await readFile(render, 'utf8')) as MttpResults;
  await writeFile(render.replace(/\.json$/, '') + '.md', markdown(results));
  process.exit(0);
}

const apps = numberArg('apps', 100);
const selected = stringArg('profiles', 'defaults,flux-benchmark,raised-qps').split(',').filter(Boolean);
const tag = stringArg('tag', '');
const timeoutMs = numberArg('timeout', 900) * 1000;
const checkout = resolve(stringArg('controllers', repoRoot()));
const extraSource = stringArg('source-args', '').split(' ').filter(Boolean);
const extraKustomize = stringArg('kustomize-args', '').split(' ').filter(Boolean);
/** Run the controllers from their TypeScript sources instead of their bundles (what the images run; see e2e/bundle.ts). */
const fromSource = flagArg('from-source');
/** Node.js flags of the controller processes (by default the V8 flags the images run them with; say `--cpu-prof` to profile). */
const controllerNodeOptions = stringArg('controller-node-options', controllerV8Flags.join(' '));
const outDir = resolve(stringArg('out', join(repoRoot(), 'e2e', 'bench', 'results')));
/**
 * Extra kube-controller-manager flags for an own environment, e.g. `--kube-api-qps=300
 * --kube-api-burst=600`: its Deployment controller, at Kubernetes' default 20 requests a second
 * and four writes per new Deployment, finishes at most five Deployments a second.
 */
const kcmArgs = stringArg('kcm-args', '').split(' ').filter(Boolean);
if (kcmArgs.length > 0 && !flagArg('own-env')) {
  console.error('--kcm-args needs --own-env (the shared environment is already running)');
  process.exit(2);
}
for (const p of selected) {
  if (!profiles[p]) {
    console.error(`unknown profile '${p}' (known: ${Object.keys(profiles).join(', ')})`);
    process.exit(2);
  }
}
if (!Number.isInteger(apps) || apps < 1) {
  console.error('--apps must be a positive integer');
  process.exit(2);
}

/** The artifact's manifests; `${INDEX}` is substituted per Kustomization. */
const appManifests: Record<string, string> = {
  'serviceaccount.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app-${INDEX}\n',
  'configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${INDEX}\ndata:\n  APP_NAME: app-${INDEX}\n',
  'service.yaml': [
    'apiVersion: v1', 'kind: Service', 'metadata:', '  name: app-${INDEX}', 'spec:', '  selector:', '    app: app-${INDEX}',
    '  ports:', '    - name: http', '      port: 80', '      targetPort: http', '',
  ].join('\n'),
  'deployment.yaml': [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: app-${INDEX}', 'spec:', '  replicas: 0', '  selector:', '    matchLabels:', '      app: app-${INDEX}',
    '  template:', '    metadata:', '      labels:', '        app: app-${INDEX}', '    spec:', '      serviceAccountName: app-${INDEX}', '      containers:',
    '        - name: app', '          image: example.invalid/app:1.0.0', '          ports:', '            - name: http', '              containerPort: 8080',
    '          envFrom:', '            - configMapRef:', '                name: app-${INDEX}', '',
  ].join('\n'),
};

const seconds = (ms: number): number => Math.round(ms / 100) / 10;
const mib = (n: number): number => Math.round(n);
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** An OCIRepository or Kustomization as the benchmark watches it: its status conditions. */
interface Watched {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; generation?: number };
  status?: { conditions?: Condition[]; observedGeneration?: number };
}

/** The object's Ready condition when it describes the current generation. */
function readyStatus(obj: Watched): Condition | undefined {
  if (obj.status?.observedGeneration !== obj.metadata?.generation) return undefined;
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Sums the samples of a Prometheus text exposition by one label, for the metric `name` (samples filtered by `where`). */
function sumBy(text: string, name: string, label: string, where: (labels: string) => boolean = () => true): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name || !where(m[2] ?? '')) continue;
    const key = new RegExp(`${label}="([^"]*)"`).exec(m[2] ?? '')?.[1] ?? '';
    out[key] = (out[key] ?? 0) + Number(m[3]);
  }
  return out;
}

/** What the benchmark reads from the API server's own metrics at the start and the end of a run. */
interface ApiServerReading {
  /** apiserver_request_total, by `VERB group/resource[/subresource][ (dry run)]`. */
  requests: Map<string, number>;
  /** apiserver_request_duration_seconds sum and count, by verb. */
  latency: Map<string, { sum: number; count: number }>;
}

/** Reads the API server's request counts and latencies (its /metrics, as the admin). */
async function readApiServer(env: EnvInfo): Promise<ApiServerReading> {
  const text = await runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, 'get', '--raw', '/metrics']);
  const requests = new Map<string, number>();
  const latency = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const label = (name: string): string => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('apiserver_request_total{')) {
      const resource = [label('group') || 'core', label('resource'), label('subresource')].filter(Boolean).join('/');
      const key = `${label('verb')} ${resource}${label('dry_run') ? ' (dry run)' : ''}`;
      requests.set(key, (requests.get(key) ?? 0) + value);
    } else if (line.startsWith('apiserver_request_duration_seconds_sum{') || line.startsWith('apiserver_request_duration_seconds_count{')) {
      const entry = latency.get(label('verb')) ?? { sum: 0, count: 0 };
      if (line.startsWith('apiserver_request_duration_seconds_sum{')) entry.sum += value;
      else entry.count += value;
      latency.set(label('verb'), entry);
    }
  }
  return { requests, latency };
}

/** The requests made between two readings (the largest first), and the mean latency of each verb but WATCH (long-lived by design). */
function apiServerDelta(before: ApiServerReading, after: ApiServerReading): { total: number; meanLatencyMs: Record<string, number>; top: Record<string, number> } {
  const delta = [...after.requests].map(([k, v]) => [k, v - (before.requests.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  const meanLatencyMs: Record<string, number> = {};
  for (const [verb, { sum, count }] of after.latency) {
    const was = before.latency.get(verb) ?? { sum: 0, count: 0 };
    if (verb === 'WATCH' || count - was.count <= 0) continue;
    meanLatencyMs[verb] = Math.round(((sum - was.sum) / (count - was.count)) * 10_000) / 10;
  }
  return { total: delta.reduce((sum, [, v]) => sum + v, 0), meanLatencyMs, top: Object.fromEntries(delta.slice(0, 30)) };
}

/** CPU seconds so far of the environment's processes (API server, etcd, ...), by name; a process gone counts as 0. */
async function componentCpu(env: EnvInfo): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of env.processes) out[p.name] = (await processCpuSeconds(p.pid).catch(() => ({ self: 0 }))).self;
  return out;
}

/** CPU seconds each environment process used since `before`. */
async function componentCpuDelta(env: EnvInfo, before: Record<string, number>): Promise<Record<string, number>> {
  const now = await componentCpu(env);
  return Object.fromEntries(Object.entries(now).map(([name, s]) => [name, Math.round((s - (before[name] ?? 0)) * 10) / 10]));
}

/** The machine's CPU use since `before`: busy core-seconds out of those there were (other work on the machine included). */
async function machineCpuDelta(before: { busy: number; total: number }): Promise<{ busySeconds: number; coreSeconds: number; busyPercent: number }> {
  const now = await machineCpuSeconds();
  const busy = now.busy - before.busy;
  const total = now.total - before.total;
  return { busySeconds: Math.round(busy), coreSeconds: Math.round(total), busyPercent: Math.round((busy / (total || 1)) * 100) };
}

/** Reads the figures of a controller process that is still running. */
/** This process's CPU since `before`: creating the objects and watching them (it shares the machine with what it measures). */
function harnessCpuSeconds(before: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(before);
  return round1((user + system) / 1e6);
}

async function controllerFigures(proc: BenchProcess, metricsPort: number, cpuAtStart: CpuSeconds): Promise<ControllerFigures> {
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sums = sumBy(metrics, 'gotk_reconcile_duration_seconds_sum', 'kind');
  const counts = sumBy(metrics, 'gotk_reconcile_duration_seconds_count', 'kind');
  return {
    peakRssMiB: mib(await proc.peakRssMiB()),
    peakTreeRssMiB: mib(proc.peakTreeRssMiB),
    cpuSeconds: await proc.cpuSeconds().then((c) => ({ self: round1(c.self - cpuAtStart.self), children: round1(c.children - cpuAtStart.children) })),
    errorLogLines: await proc.errorLines(),
    reconciles: sumBy(metrics, 'controller_runtime_reconcile_total', 'result'),
    meanReconcileSeconds: Object.fromEntries(Object.entries(sums).map(([kind, s]) => [kind, Math.round((s / (counts[kind] || 1)) * 1000) / 1000])),
  };
}

/** Waits until `/readyz` answers 200 (the controller's informers have synced), failing if the process exits. */
async function waitReady(proc: BenchProcess, healthPort: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited (${JSON.stringify(proc.exited)}):\n${await proc.tail()}`);
    const ok = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await delay(200);
  }
  throw new Error(`${proc.name} was not ready within 60s:\n${await proc.tail()}`);
}

/** Watches the objects of one kind in `namespace`: when each first became Ready (ms after `t0()`), and a promise of all `expected` Ready. */
function watchReady(kc: KubeConfig, namespace: string, kind: { apiVersion: string; kind: string; plural: string }, expected: number, t0: () => number) {
  const logger = createLogger({ level: 'error', encoding: 'json', name: 'bench', stream: new PassThrough().resume() });
  const informer = new Informer<Watched>({ kubeConfig: kc, ...kind, namespace, logger });
  const readyAt = new Map<string, number>();
  const all = Promise.withResolvers<void>();
  const see = (obj: Watched): void => {
    const name = obj.metadata?.name ?? '';
    if (readyAt.has(name) || readyStatus(obj)?.status !== 'True') return;
    readyAt.set(name, performance.now() - t0());
    if (readyAt.size >= expected) all.resolve();
  };
  informer.on('add', see);
  informer.on('update', (_old, obj) => see(obj));
  informer.start();
  return { informer, readyAt, allReady: all.promise };
}

/** Runs one profile end to end and returns its figures. */
async function runProfile(env: EnvInfo, kc: KubeConfig, artifactUrl: string, profile: string): Promise<RunFigures> {
  const client = new ObjectClient(kc);
  const fieldManager = 'eddy-bench';
  const ns = `mttp-${apps}-${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'eddy-bench-mttp-'));
  const [storagePort, sourceMetrics, sourceHealth, kustomizeMetrics, kustomizeHealth] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]) as [number, number, number, number, number];
  const p = profiles[profile]!;
  const common = [`--kubeconfig=${env.kubeconfig}`, '--watch-all-namespaces=false', `--runtime-namespace=${ns}`];
  const sourceFlags = [...p.source, ...extraSource];
  const kustomizeFlags = [...p.kustomize, ...extraKustomize];

  // The tenant: a namespace and the service account Kustomizations apply as, admin of it.
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { fieldManager });
  await client.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'flux', namespace: ns } }, { fieldManager });
  const roleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'flux', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'flux', namespace: ns }],
  };
  await client.apply(roleBinding, { fieldManager });

  // Given before the entry point, as the Dockerfiles do: NODE_OPTIONS refuses some V8 flags.
  const nodeArgs = controllerNodeOptions.split(' ').filter(Boolean);
  const source = startBenchProcess({
    name: 'source-controller',
    entry: entries['source-controller']!,
    args: [...common, `--storage-path=${join(work, 'storage')}`, `--storage-addr=127.0.0.1:${storagePort}`, `--storage-adv-addr=127.0.0.1:${storagePort}`,
      `--metrics-addr=127.0.0.1:${sourceMetrics}`, `--health-addr=127.0.0.1:${sourceHealth}`, ...sourceFlags],
    logFile: join(work, 'source-controller.log'),
    nodeArgs,
  });
  const kustomize = startBenchProcess({
    name: 'kustomize-controller',
    entry: entries['kustomize-controller']!,
    args: [...common, `--kustomize-bin=${env.tools.kustomize}`, `--metrics-addr=127.0.0.1:${kustomizeMetrics}`, `--health-addr=127.0.0.1:${kustomizeHealth}`, ...kustomizeFlags],
    logFile: join(work, 'kustomize-controller.log'),
    nodeArgs,
  });
  let started = 0;
  const sources = watchReady(kc, ns, { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', plural: 'ocirepositories' }, apps, () => started);
  const kustomizations = watchReady(kc, ns, { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', plural: 'kustomizations' }, apps, () => started);
  const informers = [sources.informer, kustomizations.informer];
  try {
    await Promise.all([waitReady(source, sourceHealth), waitReady(kustomize, kustomizeHealth), ...informers.map((i) => i.waitForSync())]);
    console.error(`[${profile}] ${apps} apps in namespace ${ns}: creating`);

    const [apiBefore, componentsBefore, machineBefore] = [await readApiServer(env), await componentCpu(env), await machineCpuSeconds()];
    const [sourceCpuBefore, kustomizeCpuBefore] = [await source.cpuSeconds(), await kustomize.cpuSeconds()];
    const harnessCpuBefore = process.cpuUsage();
    // All at once: each app's OCIRepository and Kustomization, many requests in flight.
    started = performance.now();
    const loadAtStart = loadavg()[0] ?? 0;
    await mapLimit([...Array(apps).keys()], 50, undefined, async (i) => {
      const name = `app-${i}`;
      const oci: OCIRepository = {
        apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name, namespace: ns },
        spec: { interval: '60m', url: artifactUrl, ref: { tag: 'latest' }, insecure: true },
      };
      const ks: Kustomization = {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name, namespace: ns },
        spec: {
          interval: '60m', retryInterval: '2m', timeout: '1m', path: './', prune: true, wait: true,
          serviceAccountName: 'flux', targetNamespace: ns, sourceRef: { kind: 'OCIRepository', name },
          postBuild: { substitute: { INDEX: String(i) } },
        },
      };
      await client.apply(oci, { fieldManager });
      await client.apply(ks, { fieldManager });
    });
    const createMs = performance.now() - started;

    // Until every app is Ready (the watches tell), a controller exits, or the timeout.
    const progress = setInterval(() => {
      console.error(`[${profile}] ${seconds(performance.now() - started)}s: OCIRepositories Ready ${sources.readyAt.size}/${apps}, Kustomizations Ready ${kustomizations.readyAt.size}/${apps}`);
    }, 10_000);
    const timeout = AbortSignal.timeout(Math.max(0, Math.round(started + timeoutMs - performance.now())));
    const outcome = await Promise.race([
      Promise.all([sources.allReady, kustomizations.allReady]).then(() => 'ready' as const),
      new Promise<'timeout'>((resolve) => timeout.addEventListener('abort', () => resolve('timeout'), { once: true })),
      Promise.race([source.exit, kustomize.exit]).then(() => 'exited' as const),
    ]);
    clearInterval(progress);
    if (outcome === 'exited') throw new Error(`a controller exited:\n${await (source.exited ? source : kustomize).tail()}`);
    const done = (): boolean => sources.readyAt.size >= apps && kustomizations.readyAt.size >= apps;
    const completed = done();
    const last = (m: Map<string, number>): number | null => (m.size >= apps ? seconds(Math.max(...m.values())) : null);
    const sortedKs = [...kustomizations.readyAt.values()].sort((a, b) => a - b);
    const loadAverage = { start: loadAtStart, end: loadavg()[0] ?? 0 };
    const figures: Omit<RunFigures, 'deleteSeconds'> = {
      profile,
      note: p.note,
      flags: { 'source-controller': sourceFlags, 'kustomize-controller': kustomizeFlags },
      ...(controllerNodeOptions ? { controllerNodeOptions } : {}),
      completed,
      createSeconds: seconds(createMs),
      sourcesReadySeconds: last(sources.readyAt),
      kustomizationsReadySeconds: last(kustomizations.readyAt),
      kustomizationsReadyMedianSeconds: completed ? seconds(sortedKs[Math.floor(sortedKs.length / 2)] ?? 0) : null,
      readyAtEnd: { OCIRepository: sources.readyAt.size, Kustomization: kustomizations.readyAt.size },
      apiRequests: apiServerDelta(apiBefore, await readApiServer(env)),
      environmentCpuSeconds: await componentCpuDelta(env, componentsBefore),
      machineCpu: await machineCpuDelta(machineBefore),
      harnessCpuSeconds: harnessCpuSeconds(harnessCpuBefore),
      loadAverage,
      controllers: {
        'source-controller': await controllerFigures(source, sourceMetrics, sourceCpuBefore),
        'kustomize-controller': await controllerFigures(kustomize, kustomizeMetrics, kustomizeCpuBefore),
      },
    };
    if (!completed) {
      const reasons: Record<string, number> = {};
      for (const k of kustomizations.informer.list()) {
        if (kustomizations.readyAt.has(k.metadata?.name ?? '')) continue;
        const reason = k.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? 'NoReadyCondition';
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
      figures.notReadyReasons = reasons;
    }
    console.error(`[${profile}] ${completed ? 'all Ready' : 'timed out'}: ${JSON.stringify(figures)}`);

    // Clean up while the controllers run: the Kustomizations first, so they prune as the tenant
    // while its RoleBinding still exists (deleting the namespace would remove both at once), then the rest.
    const deleteStart = performance.now();
    const gone = allGone(kustomizations.informer);
    await mapLimit(kustomizations.informer.list(), 50, undefined, (k) =>
      client.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: k.metadata?.name ?? '', namespace: ns } }, 'Background'),
    );
    await Promise.race([gone, delay(600_000, undefined, { ref: false })]);
    const deleteSeconds = seconds(performance.now() - deleteStart);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 'Background');
    return { ...figures, deleteSeconds };
  } finally {
    for (const i of informers) i.stop();
    await Promise.all([source.stop(), kustomize.stop()]);
    // A namespace left Terminating (the controllers stopped first) is released by dropping the finalizers.
    await unblockNamespace(client, ns);
    await rm(work, { recursive: true, force: true });
  }
}

/** Resolves once the informer holds no object (after deletions it watches). */
function allGone(informer: Informer<Watched>): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (informer.list().length > 0) return;
      off();
      resolve();
    };
    const off = informer.on('delete', check);
    check();
  });
}

/** Deletes the namespace if it is still there, dropping the finalizers of its Flux objects so it can go. */
async function unblockNamespace(client: ObjectClient, ns: string): Promise<void> {
  if (!(await client.find({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }))) return;
  for (const kind of [{ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', plural: 'kustomizations' }, { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', plural: 'ocirepositories' }]) {
    const { items } = await client.list<Watched>({ ...kind, namespace: ns });
    await mapLimit(items, 20, undefined, (o) =>
      client.mergePatch({ apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name: o.metadata?.name ?? '', namespace: ns } }, { metadata: { finalizers: null } }).catch(() => undefined),
    );
  }
  await client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 'Background').catch(() => undefined);
}

// What the images run: each controller bundled (e2e/bundle.ts), unless --from-source.
const entries: Record<string, string> = {};
for (const c of controllers) entries[c] = fromSource ? join(checkout, 'packages', c, 'src', 'main.ts') : await bundleController(c, checkout);

const bench = await benchEnvironment('bench-mttp', { own: flagArg('own-env'), extraArgs: { 'kube-controller-manager': kcmArgs } });
try {
  const env = bench.env;
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  await installEddyCrds(env);

  // The one app artifact every OCIRepository pulls, as `flux push artifact` makes it.
  const repo = `bench/mttp-app-${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'eddy-bench-app-'));
  try {
    for (const [file, content] of Object.entries(appManifests)) await writeFile(join(dir, file), content);
    await runCommand('tar', ['-czf', join(dir, 'app.tar.gz'), '-C', dir, ...Object.keys(appManifests)]);
    await pushArtifact({ host: env.registry.plain.host }, repo, 'latest', { data: await readFile(join(dir, 'app.tar.gz')), mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip' }, 'application/vnd.cncf.flux.config.v1+json');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const runs: RunFigures[] = [];
  for (const profile of selected) runs.push(await runProfile(env, kc, `oci://${env.registry.plain.host}/${repo}`, profile));

  const commit = (await runCommand('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'])).trim();
  const dirty = (await runCommand('git', ['-C', checkout, 'status', '--porcelain', '--', 'packages'])).trim() !== '';
  const results: MttpResults = {
    benchmark: 'mttp',
    apps,
    tag,
    date: new Date().toISOString().slice(0, 10),
    commit: `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
    command: `npm run bench:mttp -- ${process.argv.slice(2).join(' ')}`,
    controllersRun: fromSource ? 'from their TypeScript sources' : `bundled (e2e/bundle.ts), as \`node ${controllerNodeOptions} main.mjs\``,
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.versions.node}, Kubernetes ${env.kube.gitVersion}${bench.own ? ', own environment' : ', shared environment'}${kcmArgs.length ? `, kube-controller-manager ${kcmArgs.join(' ')}` : ''}`,
    runs,
  };
  await mkdir(outDir, { recursive: true });
  const base = join(outDir, `mttp-${apps}${tag ? `-${tag}` : ''}`);
  await writeFile(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  await writeFile(`${base}.md`, markdown(results));
  console.log(markdown(results));
  console.error(`wrote ${base}.json and ${base}.md`);
} finally {
  await bench.release();
}
