/** Multi-tenancy lockdown: refusing references to other namespaces under `--no-cross-namespace-refs`. */
import { Reason } from '@eddy/api';
import { StallingError } from '../errors/errors.ts';

/** A reference from an object to another object, by kind, name and optional namespace. */
export interface ObjectReference {
  kind: string;
  name: string;
  namespace?: string | undefined;
}

/**
 * Throws a StallingError (reason AccessDenied) when `ref` points into another namespace than
 * `fromNamespace` while cross-namespace references are blocked. A reference without a
 * namespace means the referrer's own namespace.
 */
export function checkCrossNamespaceRef(fromNamespace: string, ref: ObjectReference, noCrossNamespaceRefs: boolean): void {
  const target = ref.namespace || fromNamespace;
  if (noCrossNamespaceRefs && target !== fromNamespace) {
    throw new StallingError(
      Reason.AccessDenied,
      `can't access '${ref.kind}/${target}/${ref.name}', cross-namespace references have been blocked (--no-cross-namespace-refs)`,
    );
  }
}
