/**
 * Condition helpers over an object's `status.conditions`, following Flux's (kstatus)
 * conventions. Controllers change conditions only through these functions, never by hand.
 *
 * - `lastTransitionTime` changes only when a condition's status changes.
 * - Every condition written carries `observedGeneration = metadata.generation`.
 * - Abnormal-true conditions ({@link abnormalTrueConditions}: Reconciling, Stalled, FetchFailed, ...)
 *   are present only while True: setting one to False or Unknown deletes it.
 * - The list is kept sorted: Ready, Reconciling, Stalled, then the other types alphabetically,
 *   so `kubectl get -o yaml` reads the same on every object.
 * - Messages have URL credentials removed and are truncated to the CRDs' maxLength.
 *
 * The helpers mutate `obj.status` in memory; the caller owns `obj` (a copy, never the cache's
 * object) and writes it with the StatusPatcher.
 */
import { ConditionType, Reason, type Condition } from '@eddy/api';
import { redactUrls } from '../logging/redact.ts';

/** A condition's status: True, False or Unknown. */
export type ConditionStatus = Condition['status'];

/** The CRDs' maxLength of `status.conditions[].message`, in characters. */
export const maxConditionMessageLength = 32768;

/**
 * Condition types of negative polarity: present (True) only while something is wrong or in
 * progress, and deleted otherwise. Setting one to False or Unknown deletes it.
 */
export const abnormalTrueConditions: ReadonlySet<string> = new Set<string>([
  ConditionType.Reconciling,
  ConditionType.Stalled,
  ConditionType.ArtifactOutdated,
  ConditionType.FetchFailed,
  ConditionType.BuildFailed,
  ConditionType.StorageOperationFailed,
  ConditionType.IncludeUnavailable,
]);

/** Types that lead the list, in this order (Flux's order); the rest follow alphabetically. */
const leadingTypes: readonly string[] = [ConditionType.Ready, ConditionType.Reconciling, ConditionType.Stalled];

/** An object whose conditions the helpers read and write: its generation and status.conditions. */
export interface ConditionsObject {
  metadata: { generation?: number };
  status?: { conditions?: Condition[] };
}

/** Options of the condition setters. */
export interface ConditionOptions {
  /** The clock for `lastTransitionTime`; the system clock by default (tests pass a fixed one). */
  now?: () => Date;
}

/** A time as Kubernetes writes `metav1.Time`: RFC 3339 in UTC with whole seconds. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The message with URL credentials removed, cut to {@link maxConditionMessageLength} characters. */
export function conditionMessage(message: string): string {
  const redacted = redactUrls(message);
  // maxLength counts Unicode code points, so cut on those, never inside a surrogate pair.
  if (redacted.length <= maxConditionMessageLength) return redacted;
  const points = [...redacted];
  if (points.length <= maxConditionMessageLength) return redacted;
  return `${points.slice(0, maxConditionMessageLength - 1).join('')}…`;
}

function rank(type: string): number {
  const i = leadingTypes.indexOf(type);
  return i === -1 ? leadingTypes.length : i;
}

/** Orders conditions: Ready, Reconciling, Stalled, then by type. */
function compareConditions(a: Condition, b: Condition): number {
  const byRank = rank(a.type) - rank(b.type);
  if (byRank !== 0) return byRank;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

/** The condition of `type`, or undefined. */
export function getCondition(obj: ConditionsObject, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** Whether the condition of `type` is present with status True. */
export function isTrue(obj: ConditionsObject, type: string): boolean {
  return getCondition(obj, type)?.status === 'True';
}

/** Whether the condition of `type` is present with status False. */
export function isFalse(obj: ConditionsObject, type: string): boolean {
  return getCondition(obj, type)?.status === 'False';
}

/** Whether the object is Ready (Ready=True). */
export function isReady(obj: ConditionsObject): boolean {
  return isTrue(obj, ConditionType.Ready);
}

/** Whether the object is Stalled (Stalled=True). */
export function isStalled(obj: ConditionsObject): boolean {
  return isTrue(obj, ConditionType.Stalled);
}

/** Removes the condition of `type`, if present. */
export function deleteCondition(obj: ConditionsObject, type: string): void {
  const status = obj.status;
  if (!status?.conditions?.some((c) => c.type === type)) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/**
 * Sets the condition of `type`. Its `lastTransitionTime` is kept when the status is unchanged,
 * and its `observedGeneration` is the object's generation. An abnormal-true type set to anything
 * but True is deleted instead.
 */
export function setCondition(
  obj: ConditionsObject,
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  opts: ConditionOptions = {},
): void {
  if (status !== 'True' && abnormalTrueConditions.has(type)) {
    deleteCondition(obj, type);
    return;
  }
  const existing = getCondition(obj, type);
  const lastTransitionTime =
    existing !== undefined && existing.status === status ? existing.lastTransitionTime : formatTime((opts.now ?? (() => new Date()))());
  const condition: Condition = { type, status, reason, message: conditionMessage(message), lastTransitionTime };
  if (obj.metadata.generation !== undefined) condition.observedGeneration = obj.metadata.generation;
  const others = (obj.status?.conditions ?? []).filter((c) => c.type !== type);
  // A new array and a new condition object: the previous ones may be shared with a cached copy.
  (obj.status ??= {}).conditions = [...others, condition].sort(compareConditions);
}

/** Sets the condition of `type` to True. */
export function markTrue(obj: ConditionsObject, type: string, reason: string, message: string, opts: ConditionOptions = {}): void {
  setCondition(obj, type, 'True', reason, message, opts);
}

/** Sets the condition of `type` to False (deletes it when abnormal-true). */
export function markFalse(obj: ConditionsObject, type: string, reason: string, message: string, opts: ConditionOptions = {}): void {
  setCondition(obj, type, 'False', reason, message, opts);
}

/** Sets the condition of `type` to Unknown (deletes it when abnormal-true). */
export function markUnknown(obj: ConditionsObject, type: string, reason: string, message: string, opts: ConditionOptions = {}): void {
  setCondition(obj, type, 'Unknown', reason, message, opts);
}

/**
 * Marks work under way: Reconciling=True with the reason and message, and Stalled removed (an
 * object being worked on is not stalled), as Flux's `MarkReconciling`.
 */
export function markReconciling(obj: ConditionsObject, reason: string, message: string, opts: ConditionOptions = {}): void {
  deleteCondition(obj, ConditionType.Stalled);
  markTrue(obj, ConditionType.Reconciling, reason, message, opts);
}

/**
 * Marks the start of a reconcile as Flux controllers do: Reconciling=True and Ready=Unknown,
 * both with reason Progressing and the message (e.g. "reconciliation in progress").
 */
export function markProgressing(obj: ConditionsObject, message: string, opts: ConditionOptions = {}): void {
  markUnknown(obj, ConditionType.Ready, Reason.Progressing, message, opts);
  markReconciling(obj, Reason.Progressing, message, opts);
}

/**
 * Marks the object stalled, i.e. it cannot make progress until its spec changes: Stalled=True
 * and Ready=False, both with the reason and message, and Reconciling removed.
 */
export function markStalled(obj: ConditionsObject, reason: string, message: string, opts: ConditionOptions = {}): void {
  deleteCondition(obj, ConditionType.Reconciling);
  markTrue(obj, ConditionType.Stalled, reason, message, opts);
  markFalse(obj, ConditionType.Ready, reason, message, opts);
}

/**
 * Marks a successful reconcile: Ready=True with the reason and message, Reconciling and Stalled
 * removed.
 */
export function markSucceeded(obj: ConditionsObject, reason: string, message: string, opts: ConditionOptions = {}): void {
  deleteCondition(obj, ConditionType.Reconciling);
  deleteCondition(obj, ConditionType.Stalled);
  markTrue(obj, ConditionType.Ready, reason, message, opts);
}
