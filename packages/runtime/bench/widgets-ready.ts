/**
 * Benchmark: N Widgets (default 1,000) created at once; time until all are Ready, and the
 * controller process' peak RSS (VmHWM) with them watched. The controller is
 * test/fixtures/widget-main.ts, a real controller process built on the runtime.
 *
 *   npm run bench:runtime [-- --objects 1000 --concurrent 4 --qps 50 --burst 300]
 *
 * Uses the running `npm run env:up` environment, else starts its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { benchEnvironment, numberArg, startBenchProcess } from '@eddy/testkit/bench';
import { installWidgetCrd, type Widget } from '@eddy/testkit/widget';

const objects = numberArg('objects', 1000);
const concurrent = numberArg('concurrent', 4);
const qps = numberArg('qps', 50);
const burst = numberArg('burst', 300);

const bench = await benchEnvironment('bench-runtime');
const env = bench.env;

const kc = new KubeConfig();
kc.loadFromFile(env.kubeconfig);
await installWidgetCrd(kc);
const ns = `bench-${Date.now().toString(36)}`;
await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
const api = kc.makeApiClient(CustomObjectsApi);
const gvp = { group: 'test.eddy.dev', version: 'v1', plural: 'widgets' };

const main = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'test', 'fixtures', 'widget-main.ts');
const work = await mkdtemp(join(tmpdir(), 'eddy-bench-runtime-'));
const controller = startBenchProcess({
  name: 'widget-controller',
  entry: main,
  args: [`--kubeconfig=${env.kubeconfig}`, '--watch-all-namespaces=false', `--runtime-namespace=${ns}`, `--concurrent=${concurrent}`,
    `--kube-api-qps=${qps}`, `--kube-api-burst=${burst}`, '--metrics-addr=127.0.0.1:0', '--health-addr=127.0.0.1:0', '--log-level=error'],
  logFile: join(work, 'controller.log'),
  sampleIntervalMs: 0,
});

try {
  const started = performance.now();
  const names = Array.from({ length: objects }, (_, i) => `w-${i}`);
  for (let i = 0; i < names.length; i += 100) {
    await Promise.all(
      names.slice(i, i + 100).map((name) =>
        api.createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name }, spec: { interval: '1h' } } }),
      ),
    );
  }
  const created = performance.now();
  let ready = 0;
  while (ready < objects) {
    const list = (await api.listNamespacedCustomObject({ ...gvp, namespace: ns })) as { items: Widget[] };
    ready = list.items.filter((w) => w.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready < objects) await new Promise((r) => setTimeout(r, 250));
  }
  const done = performance.now();
  const rss = await controller.peakRssMiB();
  console.log(`objects: ${objects}, --concurrent=${concurrent}, --kube-api-qps=${qps}, --kube-api-burst=${burst}`);
  console.log(`created in ${((created - started) / 1000).toFixed(1)}s; all Ready ${((done - started) / 1000).toFixed(1)}s after the first create`);
  console.log(`controller peak RSS: ${rss.toFixed(0)} MiB`);
} finally {
  if (controller.exited) console.error(await controller.tail());
  await controller.stop();
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
  await bench.release();
}
