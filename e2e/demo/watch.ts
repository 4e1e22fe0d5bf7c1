/**
 * What the demo shows while it waits: the Kustomizations as a live table, and a Deployment's
 * rollout line by line. On a terminal the table is redrawn in place; elsewhere (CI, a pipe) a
 * new table or line is printed only when something changed.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiObject, ObjectClient } from '@eddy/runtime';

/** Where the demo writes: stdout, or a test's buffer. */
export interface Output {
  write(text: string): unknown;
  /** True on a terminal: the table is redrawn in place. */
  isTTY?: boolean;
}

/** A condition of an object's status. */
interface Condition {
  type: string;
  status: string;
  message?: string;
}

function condition(obj: ApiObject, type: string): Condition | undefined {
  return ((obj.status?.['conditions'] as Condition[] | undefined) ?? []).find((c) => c.type === type);
}

/** A revision as people read it: `main@sha1:1a2b3c4d`. */
export function shortRevision(revision: string): string {
  return revision.replace(/(@sha1:[0-9a-f]{8})[0-9a-f]+$/, '$1');
}

/** Rows padded into columns. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   '));
}

/** Prints a block of lines, replacing the previous block on a terminal. */
class LiveBlock {
  readonly #out: Output;
  #shown: string[] = [];

  constructor(out: Output) {
    this.#out = out;
  }

  show(lines: readonly string[]): void {
    if (lines.join('\n') === this.#shown.join('\n')) return;
    if (this.#out.isTTY && this.#shown.length) this.#out.write(`\x1b[${this.#shown.length}A\x1b[J`);
    else if (this.#shown.length) this.#out.write('\n');
    this.#out.write(lines.map((l) => `${l}\n`).join(''));
    this.#shown = [...lines];
  }
}

/** Options of the waits: the client, the output, cancellation and a time limit. */
export interface WatchOptions {
  client: ObjectClient;
  out: Output;
  signal: AbortSignal;
  timeoutMs: number;
  indent?: string;
}

/** Polls `check` every second until it returns a value, or fails with `what` when the time is up. */
async function poll<T>(opts: WatchOptions, what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const done = await check();
    if (done !== undefined) return done;
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${Math.round(opts.timeoutMs / 1000)}s`);
    await delay(1_000, undefined, { signal: opts.signal });
  }
}

/**
 * Shows the Kustomizations of `namespace` until every one of `names` is Ready and applied
 * `revision`; the table is the last thing printed.
 */
export async function untilKustomizationsReady(namespace: string, names: readonly string[], revision: string, opts: WatchOptions): Promise<void> {
  const block = new LiveBlock(opts.out);
  const indent = opts.indent ?? '';
  await poll(opts, `Kustomizations of ${namespace} Ready at ${revision}`, async () => {
    const { items } = await opts.client.list<ApiObject>({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', plural: 'kustomizations', namespace }, {}, opts.signal);
    const byName = new Map(items.map((k) => [k.metadata.name ?? '', k]));
    const rows = names.map((name) => {
      const k = byName.get(name);
      const ready = k && condition(k, 'Ready');
      const applied = String(k?.status?.['lastAppliedRevision'] ?? '');
      return [name, ready?.status ?? (k ? 'Unknown' : '-'), applied ? shortRevision(applied) : '-', (ready?.message ?? (k ? 'waiting to be reconciled' : 'not created yet')).slice(0, 90)];
    });
    block.show(table([['NAME', 'READY', 'APPLIED', 'MESSAGE'], ...rows]).map((l) => indent + l));
    const all = names.every((name) => {
      const k = byName.get(name);
      return k && condition(k, 'Ready')?.status === 'True' && k.status?.['lastAppliedRevision'] === revision;
    });
    return all ? true : undefined;
  });
}

/** The parts of a Deployment the demo shows. */
export interface DeploymentState {
  image: string;
  replicas: number;
  updated: number;
  ready: number;
  available: number;
  /** Pods of every ReplicaSet, old ones included. */
  total: number;
  observed: boolean;
  generation: number;
}

/** A Deployment's state. */
export function deploymentState(d: ApiObject): DeploymentState {
  const spec = d['spec'] as { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
  const status = (d.status ?? {}) as { updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number; replicas?: number; observedGeneration?: number };
  return {
    image: spec?.template?.spec?.containers?.[0]?.image ?? '',
    replicas: spec?.replicas ?? 1,
    updated: status.updatedReplicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    total: status.replicas ?? 0,
    observed: status.observedGeneration === d.metadata.generation,
    generation: d.metadata.generation ?? 0,
  };
}

/** Whether the Deployment runs `image` on exactly `replicas` Pods, all updated and available. */
export function rolledOut(s: DeploymentState, image: string, replicas: number): boolean {
  return s.observed && s.image === image && s.replicas === replicas && s.updated === replicas && s.available === replicas && s.total === replicas;
}

/** Prints the Deployment's state whenever it changes until `done` says so; returns the final state. */
export async function watchDeployment(namespace: string, name: string, done: (s: DeploymentState) => boolean, opts: WatchOptions): Promise<DeploymentState> {
  let last = '';
  return await poll(opts, `Deployment ${namespace}/${name}`, async () => {
    const d = await opts.client.find<ApiObject>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace } }, opts.signal);
    if (!d) return undefined;
    const s = deploymentState(d);
    const line = `${opts.indent ?? ''}◎ ${namespace}/${name}: ${s.image}, ${s.replicas} wanted, ${s.updated} updated, ${s.available} available${s.total > s.replicas ? `, ${s.total - s.replicas} more Pod(s) going away` : ''}`;
    if (line !== last) opts.out.write(`${line}\n`);
    last = line;
    return done(s) ? s : undefined;
  });
}
