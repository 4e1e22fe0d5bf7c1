/**
 * The ONE table of kinds the generic verbs (get, reconcile, suspend, resume, export, events)
 * work over: for each of the 13 Flux kinds, its API names (from @eddy/api's generated table),
 * the words the flux CLI uses for it (`source git`, `kustomization`, `image policy`), its
 * status column and the source it reads from. A verb registers one sub-command per row.
 */
import { kindInfo, type KindInfo } from '@eddy/api';
import type { ApiObject } from '@eddy/runtime';

/** A reference to another object, as `--with-source` and `events --for` follow it. */
export interface KindRef {
  kind: string;
  name: string;
  namespace: string;
}

/** The column after NAME in `eddy get` (REVISION for most kinds). */
export interface StatusColumn {
  header: string;
  value(obj: ApiObject): string;
}

/** One row of the table. */
export interface CliKind {
  /** The kind's API names: group, version, kind, plural, short names. */
  api: KindInfo;
  /** `apiVersion` of the kind, e.g. `source.toolkit.fluxcd.io/v1`. */
  apiVersion: string;
  /** The group word before the noun (`source`, `image`), or none. */
  group?: 'source' | 'image';
  /** The noun as the flux CLI spells it: `git`, `kustomization`, `alert-provider`. */
  noun: string;
  /** Other spellings of the noun the verbs accept (plural, kubectl short names). */
  aliases: readonly string[];
  /** The column after NAME, when the kind has one. */
  column?: StatusColumn;
  /** The source object this one reads from (`spec.sourceRef`, `spec.chart.spec.sourceRef`). */
  sourceOf?(obj: ApiObject): KindRef | undefined;
  /** What a successful reconcile achieved, e.g. `applied revision main@sha1:…`. */
  reconciled(obj: ApiObject): string;
}

/** Reads a nested field of plain JSON, or undefined. */
export function field(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A nested string field, or ''. */
export function text(obj: unknown, ...path: string[]): string {
  const v = field(obj, ...path);
  return typeof v === 'string' ? v : '';
}

function api(kind: string): KindInfo {
  const info = kindInfo(kind);
  if (!info) throw new Error(`@eddy/api has no kind ${kind}`);
  return info;
}

const artifactRevision: StatusColumn = { header: 'REVISION', value: (o) => text(o, 'status', 'artifact', 'revision') };
const appliedRevision: StatusColumn = {
  header: 'REVISION',
  value: (o) => text(o, 'status', 'lastAppliedRevision') || text(o, 'status', 'lastAttemptedRevision'),
};

/** `spec.sourceRef` of a Kustomization (its namespace defaults to the object's). */
function specSourceRef(obj: ApiObject, ...path: string[]): KindRef | undefined {
  const ref = field(obj, 'spec', ...path, 'sourceRef');
  const kind = text(ref, 'kind');
  const name = text(ref, 'name');
  if (!kind || !name) return undefined;
  return { kind, name, namespace: text(ref, 'namespace') || (obj.metadata.namespace ?? '') };
}

function row(kind: string, noun: string, extra: Partial<CliKind> & Pick<CliKind, 'reconciled'>): CliKind {
  const info = api(kind);
  return {
    api: info,
    apiVersion: `${info.group}/${info.version}`,
    noun,
    aliases: [...new Set([`${noun}s`, info.plural, info.singular, ...info.shortNames].filter((a) => a !== noun))],
    ...extra,
  };
}

const fetched = (o: ApiObject): string => `fetched revision ${artifactRevision.value(o)}`;

/** Every kind, in the order `eddy get all` lists them (sources first, as flux does). */
export const cliKinds: readonly CliKind[] = [
  row('GitRepository', 'git', { group: 'source', column: artifactRevision, reconciled: fetched }),
  row('OCIRepository', 'oci', { group: 'source', column: artifactRevision, reconciled: fetched }),
  row('HelmRepository', 'helm', { group: 'source', column: artifactRevision, reconciled: fetched }),
  row('HelmChart', 'chart', { group: 'source', column: artifactRevision, reconciled: fetched, sourceOf: (o) => specSourceRef(o) }),
  row('Bucket', 'bucket', { group: 'source', column: artifactRevision, reconciled: fetched }),
  row('Kustomization', 'kustomization', {
    column: appliedRevision,
    sourceOf: (o) => specSourceRef(o),
    reconciled: (o) => `applied revision ${appliedRevision.value(o)}`,
  }),
  row('HelmRelease', 'helmrelease', {
    column: appliedRevision,
    sourceOf: (o) => specSourceRef(o, 'chart', 'spec') ?? chartRef(o),
    reconciled: (o) => `applied revision ${appliedRevision.value(o)}`,
  }),
  row('Alert', 'alert', { reconciled: () => 'Alert reconciled' }),
  row('Provider', 'alert-provider', { reconciled: () => 'Provider reconciled' }),
  row('Receiver', 'receiver', { reconciled: (o) => `webhook path ${text(o, 'status', 'webhookPath')}` }),
  row('ImageRepository', 'repository', {
    group: 'image',
    column: { header: 'LAST SCAN', value: (o) => text(o, 'status', 'lastScanResult', 'scanTime') },
    reconciled: (o) => `scan fetched ${String(field(o, 'status', 'lastScanResult', 'tagCount') ?? 0)} tags`,
  }),
  row('ImagePolicy', 'policy', {
    group: 'image',
    column: { header: 'LATEST IMAGE', value: (o) => latestImage(o) },
    reconciled: (o) => `selected ${latestImage(o)}`,
  }),
  row('ImageUpdateAutomation', 'update', {
    group: 'image',
    column: { header: 'LAST RUN', value: (o) => text(o, 'status', 'lastAutomationRunTime') },
    reconciled: (o) => `last run ${text(o, 'status', 'lastAutomationRunTime')}`,
  }),
];

/** `spec.chartRef` of a HelmRelease (an OCIRepository or HelmChart). */
function chartRef(obj: ApiObject): KindRef | undefined {
  const ref = field(obj, 'spec', 'chartRef');
  const kind = text(ref, 'kind');
  const name = text(ref, 'name');
  return kind && name ? { kind, name, namespace: text(ref, 'namespace') || (obj.metadata.namespace ?? '') } : undefined;
}

/** `status.latestRef` of an ImagePolicy as `name:tag`. */
function latestImage(obj: ApiObject): string {
  const name = text(obj, 'status', 'latestRef', 'name');
  const tag = text(obj, 'status', 'latestRef', 'tag');
  return name ? `${name}${tag ? `:${tag}` : ''}` : '';
}

/** The row of a kind by its Kind name (`GitRepository`), or by any name kubectl accepts for it. */
export function cliKind(name: string): CliKind | undefined {
  const info = kindInfo(name);
  return info ? cliKinds.find((k) => k.api.kind === info.kind) : undefined;
}

/** The words a verb takes for a kind: `source git`, `kustomization`. */
export function kindWords(k: CliKind): string {
  return k.group ? `${k.group} ${k.noun}` : k.noun;
}
