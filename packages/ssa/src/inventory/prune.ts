/**
 * Garbage collection of inventory entries: deleting the objects a new revision no longer
 * contains (prune), and all of them when the owning Kustomization is deleted (deletionPolicy).
 * Deletion is careful: an object is deleted only when it was read successfully, is not marked
 * `kustomize.toolkit.fluxcd.io/prune: disabled`, and carries the owner's labels; a read that
 * fails for any other reason than "not found" deletes nothing and reports the entry failed, so
 * the caller keeps it in the inventory and tries again next time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Annotation, type ResourceRef } from '@eddy/api';
import { ObjectClient, mapLimit } from '@eddy/runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from './error-message.ts';
import { parseEntry, stubOf, subjectOf, type ObjectRef } from './inventory.ts';

/** An object as the API server returns it: plain JSON. */
type LiveObject = Record<string, unknown>;

/** What happened to one entry: deleted (or already gone), skipped (kept on purpose) or failed (kept, retry later). */
export type PruneAction = 'deleted' | 'skipped' | 'failed';

/** One line of a prune's change set. */
export interface PruneChange {
  /** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object. */
  subject: string;
  action: PruneAction;
  /** Why it was skipped or failed. */
  reason?: string;
  /** The entry acted on; callers keep the `failed` ones in the inventory. */
  entry: ResourceRef;
}

/** How dependents of a deleted object are deleted (Kubernetes' propagationPolicy). */
export type DeletionPropagation = 'Background' | 'Foreground' | 'Orphan';

/** Options of {@link deleteStale}. */
export interface PruneOptions {
  /** The controller's field manager; sent as the User-Agent so audit logs name who deleted. */
  fieldManager: string;
  signal: AbortSignal;
  /** Default `Background`, as Flux. */
  deletionPropagation?: DeletionPropagation;
  /**
   * Labels every object must carry, with these values, to be deleted (e.g.
   * `kustomize.toolkit.fluxcd.io/name` and `/namespace`). An object without them belongs to
   * someone else: it is never touched.
   */
  ownerLabels?: Record<string, string>;
  /** Deletions in flight at once (default 4, as Flux's `--concurrent-ssa`). */
  concurrency?: number;
  /** Time allowed for each API request (default 30 s). */
  requestTimeoutMs?: number;
}

/** The value of `kustomize.toolkit.fluxcd.io/prune` that protects an object. */
const pruneDisabled = 'disabled';

/**
 * Deletes the objects of stale inventory entries (those in the last inventory but not in the
 * new one), and returns one change per entry, in the order given. See the module comment for
 * what is kept; an entry is never reported `deleted` unless its object is gone or its deletion
 * was accepted.
 */
export async function deleteStale(kubeConfig: KubeConfig, staleEntries: readonly ResourceRef[], opts: PruneOptions): Promise<PruneChange[]> {
  return deleteEntries(newClient(kubeConfig, opts), staleEntries, opts);
}

function newClient(kubeConfig: KubeConfig, opts: PruneOptions): ObjectClient {
  return new ObjectClient(kubeConfig, { requestTimeoutMs: opts.requestTimeoutMs, userAgent: opts.fieldManager });
}

function deleteEntries(client: ObjectClient, entries: readonly ResourceRef[], opts: PruneOptions): Promise<PruneChange[]> {
  // No signal: deleteEntry reports an abort as a failed entry, so every entry gets its change.
  return mapLimit(entries, opts.concurrency ?? 4, undefined, (entry) => deleteEntry(client, entry, opts));
}

/** Deletes the object of one entry; never throws. */
async function deleteEntry(client: ObjectClient, entry: ResourceRef, opts: PruneOptions): Promise<PruneChange> {
  let ref: ObjectRef;
  try {
    ref = parseEntry(entry.id, entry.v);
  } catch (err) {
    return { subject: entry.id, action: 'failed', reason: errorMessage(err), entry };
  }
  const subject = subjectOf(ref);
  try {
    // Read first: the decision to delete is made on the live object, never on a failed read.
    const live = await client.find<LiveObject>(stubOf(ref), opts.signal);
    if (!live) return { subject, action: 'deleted', entry };
    const keep = reasonToKeep(live, opts.ownerLabels);
    if (keep) return { subject, action: 'skipped', reason: keep, entry };
    // The uid precondition leaves alone an object re-created under the same name since the read.
    await client.delete(stubOf(ref), opts.deletionPropagation ?? 'Background', opts.signal, { uid: uidOf(live) });
    return { subject, action: 'deleted', entry };
  } catch (err) {
    return { subject, action: 'failed', reason: errorMessage(err), entry };
  }
}

/** Why a live object must not be deleted, or undefined when it may be. */
export function reasonToKeep(live: LiveObject, ownerLabels?: Record<string, string>): string | undefined {
  const meta = metadataOf(live);
  const annotation = meta.annotations[Annotation.KustomizePrune];
  const label = meta.labels[Annotation.KustomizePrune];
  if (annotation?.toLowerCase() === pruneDisabled || label?.toLowerCase() === pruneDisabled) {
    return `${Annotation.KustomizePrune}: ${pruneDisabled}`;
  }
  for (const [key, value] of Object.entries(ownerLabels ?? {})) {
    if (meta.labels[key] !== value) return `not owned: label ${key} is not ${value}`;
  }
  return undefined;
}

/** What to do with the inventory when the owning object is deleted (Kustomization `spec.deletionPolicy`). */
export type DeletionPolicy = 'MirrorPrune' | 'Delete' | 'WaitForTermination' | 'Orphan';

/** Options of {@link deleteAll}. */
export interface DeleteAllOptions extends PruneOptions {
  policy: DeletionPolicy;
  /** `spec.prune` of the owner; `MirrorPrune` deletes only when it is true (default true). */
  prune?: boolean;
  /** WaitForTermination: the longest to wait for the objects to disappear (default 5 min). */
  timeoutMs?: number;
  /** WaitForTermination: how often to look (default 2 s). */
  intervalMs?: number;
}

/**
 * Garbage-collects every object of an inventory when its owner is deleted, as `policy` says:
 * `Orphan` deletes nothing (and returns no changes); `MirrorPrune` deletes when `prune` is true;
 * `Delete` deletes; `WaitForTermination` deletes and then waits, bounded by `timeoutMs`, until
 * each deleted object is gone (finalizers done). Objects still present when time runs out (or
 * the signal aborts) are reported `failed`.
 */
export async function deleteAll(kubeConfig: KubeConfig, entries: readonly ResourceRef[], opts: DeleteAllOptions): Promise<PruneChange[]> {
  if (opts.policy === 'Orphan' || (opts.policy === 'MirrorPrune' && opts.prune === false)) return [];
  const client = newClient(kubeConfig, opts);
  const changes = await deleteEntries(client, entries, opts);
  if (opts.policy !== 'WaitForTermination') return changes;
  return waitForTermination(client, changes, opts);
}

/** Waits until the objects of the `deleted` changes are gone; those left are turned into `failed`. */
async function waitForTermination(client: ObjectClient, changes: PruneChange[], opts: DeleteAllOptions): Promise<PruneChange[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  const pending = new Map<number, string>();
  changes.forEach((c, i) => {
    if (c.action === 'deleted') pending.set(i, 'not checked yet');
  });
  for (;;) {
    await mapLimit([...pending.keys()], opts.concurrency ?? 4, undefined, async (i) => {
      const change = changes[i] as PruneChange;
      try {
        const live = await client.find(stubOf(parseEntry(change.entry.id, change.entry.v)), opts.signal);
        if (live) pending.set(i, 'still terminating');
        else pending.delete(i);
      } catch (err) {
        // A failed read says nothing about termination: look again next round.
        pending.set(i, errorMessage(err));
      }
    });
    if (pending.size === 0 || opts.signal.aborted || Date.now() >= deadline) break;
    const remaining = deadline - Date.now();
    await delay(Math.min(opts.intervalMs ?? 2_000, remaining), undefined, { signal: opts.signal }).catch(() => undefined);
  }
  const why = opts.signal.aborted ? 'canceled while waiting for termination' : 'timeout waiting for termination';
  return changes.map((c, i) => {
    const last = pending.get(i);
    return last === undefined ? c : { ...c, action: 'failed', reason: `${why}: ${last}` };
  });
}

function metadataOf(obj: LiveObject): { labels: Record<string, string>; annotations: Record<string, string>; uid?: string } {
  const meta = (typeof obj.metadata === 'object' && obj.metadata !== null ? obj.metadata : {}) as { labels?: unknown; annotations?: unknown; uid?: unknown };
  const asMap = (v: unknown): Record<string, string> => (typeof v === 'object' && v !== null ? (v as Record<string, string>) : {});
  return { labels: asMap(meta.labels), annotations: asMap(meta.annotations), uid: typeof meta.uid === 'string' ? meta.uid : undefined };
}

function uidOf(obj: LiveObject): string | undefined {
  return metadataOf(obj).uid;
}
