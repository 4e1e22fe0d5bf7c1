/**
 * Benchmark: N GitRepositories (default 100), each on its own repository of the local git
 * server, created at once; time until all are Ready, error lines the controller logged, and
 * source-controller's peak RSS (VmHWM). The controller runs as a real process (src/main.ts).
 *
 *   npm run bench:source [-- --objects 100 --concurrent 2]
 *
 * Uses the running `npm run env:up` environment, else starts its own.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { GitRepository } from '@eddy/api';
import { runCommand } from '@eddy/testkit/env';
import { benchEnvironment, numberArg, startBenchProcess } from '@eddy/testkit/bench';
import { createGitRepo, installEddyCrds } from '@eddy/testkit';

const objects = numberArg('objects', 100);
const concurrent = numberArg('concurrent', 2);

const bench = await benchEnvironment('bench-source');
const env = bench.env;

const kc = new KubeConfig();
kc.loadFromFile(env.kubeconfig);
await installEddyCrds(env);
const ns = `bench-src-${Date.now().toString(36)}`;
await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
const work = await mkdtemp(join(tmpdir(), 'eddy-bench-src-'));

// One repository per object, one commit each.
const seed = join(work, 'seed');
await runCommand('git', ['init', '--quiet', '--initial-branch=main', seed]);
await writeFile(join(seed, 'app.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\n');
await runCommand('git', ['-C', seed, 'add', '-A']);
await runCommand('git', ['-C', seed, '-c', 'user.name=b', '-c', 'user.email=b@eddy.invalid', 'commit', '--quiet', '-m', 'seed']);
const urls: string[] = [];
for (let i = 0; i < objects; i++) {
  const repo = await createGitRepo(env, { name: `${ns}-${i}`, public: true });
  await runCommand('git', ['-C', seed, 'push', '--quiet', repo.httpUrlWithAuth, 'main']);
  urls.push(repo.httpUrl);
}

const main = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'main.ts');
const controller = startBenchProcess({
  name: 'source-controller',
  entry: main,
  args: [`--kubeconfig=${env.kubeconfig}`, '--watch-all-namespaces=false', `--runtime-namespace=${ns}`, `--concurrent=${concurrent}`,
    `--storage-path=${join(work, 'storage')}`, '--storage-addr=127.0.0.1:0', '--storage-adv-addr=localhost',
    '--metrics-addr=127.0.0.1:0', '--health-addr=127.0.0.1:0', '--log-level=info'],
  logFile: join(work, 'controller.log'),
  sampleIntervalMs: 0,
});
const api = kc.makeApiClient(CustomObjectsApi);
const gvp = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' };
try {
  const started = performance.now();
  await Promise.all(
    urls.map((url, i) =>
      api.createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: `repo-${i}` }, spec: { interval: '1h', url, ref: { branch: 'main' } } } }),
    ),
  );
  let ready = 0;
  let failed = 0;
  while (ready < objects) {
    const list = (await api.listNamespacedCustomObject({ ...gvp, namespace: ns })) as { items: GitRepository[] };
    ready = list.items.filter((o) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    failed = list.items.filter((o) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False')).length;
    if (ready < objects) await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const rss = await controller.peakRssMiB();
  const errorLines = await controller.errorLines();
  console.log(`GitRepositories: ${objects}, --concurrent=${concurrent}`);
  console.log(`all Ready ${seconds.toFixed(1)}s after creation; Ready=False seen at the end: ${failed}; error log lines: ${errorLines}`);
  console.log(`source-controller peak RSS: ${rss.toFixed(0)} MiB`);
} finally {
  if (controller.exited) console.error(await controller.tail());
  await controller.stop();
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
  await bench.release();
}
