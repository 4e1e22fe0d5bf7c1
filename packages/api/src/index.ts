/**
 * @eddy/api: the Flux API Eddy serves. Types of every kind (generated from packages/api/schema),
 * condition types and reasons, annotations, labels, finalizers, field managers, and pure helpers
 * for durations and revisions. No I/O.
 */
export * from './generated/types.ts';
export type { ObjectMeta } from './object-meta.ts';
export { ConditionType, Reason, type ConditionTypeName, type ReasonName } from './conditions.ts';
export { Annotation, Finalizer, FluxClientSideApplyManager, Label, applyFieldManager, statusFieldManager } from './metadata.ts';
export { DurationError, formatDuration, parseDuration, type Duration } from './duration.ts';
export { digestPattern, formatDigest, formatRevision, parseDigest, parseRevision, sameRevision, type Digest, type Revision } from './revision.ts';
export { groupVersions, kindInfo, kinds, type KindInfo } from './kinds.ts';
