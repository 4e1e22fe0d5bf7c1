/**
 * `status.history`: the last reconciliations of a Kustomization, one snapshot per distinct
 * outcome. A snapshot is keyed by the digest of the objects applied and the outcome's reason,
 * so a Kustomization reconciled every interval at the same revision keeps one entry whose
 * count grows, and a new revision, or a failure, starts a new one at the front.
 */
import { createHash } from 'node:crypto';
import { formatDuration, type KustomizationSnapshot } from '@eddy/api';

/** How many snapshots a Kustomization keeps, as Flux's. */
export const historyLimit = 5;

/** One finished reconciliation, as {@link recordSnapshot} records it. */
export interface Reconciliation {
  /** Digest of the objects built for it ({@link digestOf}). */
  digest: string;
  /** The source revision it built. */
  revision: string;
  /** Its origin revision (`org.opencontainers.image.revision`), when the artifact has one. */
  originRevision?: string;
  /** `ReconciliationSucceeded`, or the reason it failed. */
  status: string;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * The digest of a set of objects: sha256 over their JSON with keys in a stable order, so the
 * same manifests give the same digest whatever order kustomize emitted fields in.
 */
export function digestOf(objects: readonly Record<string, unknown>[]): string {
  const hash = createHash('sha256');
  for (const o of objects) hash.update(stableJson(o)).update('\n');
  return `sha256:${hash.digest('hex')}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The history after `r`: the snapshot with the same digest and status is updated and moved to
 * the front, or a new one is put there; newest first, at most {@link historyLimit}.
 */
export function recordSnapshot(history: readonly KustomizationSnapshot[] | undefined, r: Reconciliation): KustomizationSnapshot[] {
  const previous = (history ?? []).find((s) => s.digest === r.digest && s.lastReconciledStatus === r.status);
  const metadata: Record<string, string> = { revision: r.revision };
  if (r.originRevision) metadata['originRevision'] = r.originRevision;
  const snapshot: KustomizationSnapshot = {
    digest: r.digest,
    firstReconciled: previous?.firstReconciled ?? r.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    lastReconciled: r.finishedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    lastReconciledDuration: formatDuration({ milliseconds: Math.max(0, r.finishedAt.getTime() - r.startedAt.getTime()) }),
    lastReconciledStatus: r.status,
    totalReconciliations: (previous?.totalReconciliations ?? 0) + 1,
    metadata,
  };
  return [snapshot, ...(history ?? []).filter((s) => s !== previous)].slice(0, historyLimit);
}
