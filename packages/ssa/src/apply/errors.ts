/**
 * Apply failures a person can act on, each naming the object (`Kind/namespace/name`) and quoting
 * the API server. Callers match on the class, never on the message.
 */
import { KubeApiError } from '@eddy/runtime';

/** Applying (or dry-running) an object failed; the message names the object and quotes the API server. */
export class ApplyError extends Error {
  override readonly name: string = 'ApplyError';
  /** `Kind/namespace/name` of the object. */
  readonly subject: string;

  constructor(subject: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.subject = subject;
  }
}

/**
 * The object's kind is not served by the API server: its CustomResourceDefinition is missing
 * (or not yet established). A controller waits for the CRD rather than stalling.
 */
export class MissingKindError extends ApplyError {
  override readonly name = 'MissingKindError';
  readonly apiVersion: string;
  readonly kind: string;

  constructor(subject: string, apiVersion: string, kind: string) {
    super(subject, `${subject}: no matches for kind "${kind}" in version "${apiVersion}": the CustomResourceDefinition of ${kind} is missing`);
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

/**
 * The object changes an immutable field and recreating it is not allowed: neither the apply's
 * `force` option (a Kustomization's `spec.force`) nor the object's
 * `kustomize.toolkit.fluxcd.io/force: enabled` annotation is set.
 */
export class ImmutableFieldError extends ApplyError {
  override readonly name = 'ImmutableFieldError';
}

/** Markers of the API server's messages for a change to an immutable field. */
const immutableMarkers = ['field is immutable', 'may not change once set', 'cannot change roleRef', 'Forbidden: updates to'];

/** Whether `err` is the API server refusing a change to an immutable field. */
export function isImmutableError(err: unknown): err is KubeApiError {
  if (!(err instanceof KubeApiError) || (err.code !== 422 && err.code !== 400)) return false;
  return immutableMarkers.some((m) => err.message.includes(m));
}
