/** What the informer tests share: a logger that keeps its lines, Widget CRUD, and an event recorder. */
import { Writable } from 'node:stream';
import { onTestFinished } from 'vitest';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { widgetApiVersion, widgetGroup, widgetPlural, widgetVersion, type Widget } from '@eddy/testkit';
import { Informer, type InformerOptions } from '../../src/cache/informer.ts';
import { createLogger, type Logger } from '../../src/logging/logger.ts';

/** A debug logger whose JSON lines the test can read. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', encoding: 'json', name: 'test', stream }), lines };
}

/** A Widget informer, not yet started; stopped when the calling test finishes. */
export function widgetInformer(kc: KubeConfig, logger: Logger, opts: Partial<InformerOptions> = {}): Informer<Widget> {
  const informer = new Informer<Widget>({ kubeConfig: kc, apiVersion: widgetApiVersion, kind: 'Widget', plural: widgetPlural, logger, ...opts });
  onTestFinished(() => informer.stop());
  return informer;
}

/** Records events as `add <name> <interval>`, `update <name> <old>-><new>`, `delete <name> <interval>` (optionally of one namespace). */
export function recordEvents(informer: Informer<Widget>, namespace?: string): string[] {
  const events: string[] = [];
  const mine = (w: Widget): boolean => namespace === undefined || w.metadata.namespace === namespace;
  const show = (w: Widget): string => `${w.spec.interval ?? '-'}${w.metadata.labels?.['shard'] ? `/${w.metadata.labels['shard']}` : ''}`;
  informer.on('add', (w) => {
    if (mine(w)) events.push(`add ${w.metadata.name} ${show(w)}`);
  });
  informer.on('update', (old, w) => {
    if (mine(w)) events.push(`update ${w.metadata.name} ${show(old)}->${show(w)}`);
  });
  informer.on('delete', (w) => {
    if (mine(w)) events.push(`delete ${w.metadata.name} ${show(w)}`);
  });
  return events;
}

/** Widget CRUD against a cluster. */
export class Widgets {
  readonly #api: CustomObjectsApi;
  constructor(kc: KubeConfig) {
    this.#api = kc.makeApiClient(CustomObjectsApi);
  }

  async create(namespace: string, name: string, spec: Widget['spec'] = {}, labels?: Record<string, string>): Promise<Widget> {
    const body: Widget = { apiVersion: widgetApiVersion, kind: 'Widget', metadata: { name, namespace, ...(labels ? { labels } : {}) }, spec };
    return (await this.#api.createNamespacedCustomObject({ group: widgetGroup, version: widgetVersion, plural: widgetPlural, namespace, body })) as Widget;
  }

  /** Applies a JSON patch. */
  async patch(namespace: string, name: string, ops: { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown }[]): Promise<Widget> {
    return (await this.#api.patchNamespacedCustomObject({ group: widgetGroup, version: widgetVersion, plural: widgetPlural, namespace, name, body: ops })) as Widget;
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.#api.deleteNamespacedCustomObject({ group: widgetGroup, version: widgetVersion, plural: widgetPlural, namespace, name });
  }

  async list(namespace: string): Promise<Widget[]> {
    const list = (await this.#api.listNamespacedCustomObject({ group: widgetGroup, version: widgetVersion, plural: widgetPlural, namespace })) as { items: Widget[] };
    return list.items;
  }
}

/** Widgets as sorted `namespace/name@resourceVersion interval labels`, to compare store and cluster whole. */
export function summary(widgets: Widget[]): string[] {
  return widgets
    .map((w) => `${w.metadata.namespace}/${w.metadata.name}@${w.metadata.resourceVersion} ${w.spec.interval ?? '-'} ${JSON.stringify(w.metadata.labels ?? {})}`)
    .sort();
}
