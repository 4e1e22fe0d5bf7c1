/** Reading and listing Flux objects for the generic verbs, with errors that say what to do. */
import { KubeApiError, UnknownKindError, type ApiObject, type ObjectRef } from '@eddy/runtime';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { field, type CliKind } from './kinds.ts';

/** A condition as Flux objects carry it in `status.conditions`. */
export interface StatusCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** The stub of the object `namespace/name` of a kind, as the client takes it. */
export function refFor(kind: CliKind, name: string, namespace: string): ObjectRef {
  return { apiVersion: kind.apiVersion, kind: kind.api.kind, metadata: { name, namespace } };
}

/** The condition of `type` in the object's status, if any. */
export function conditionOf(obj: unknown, type: string): StatusCondition | undefined {
  const list = field(obj, 'status', 'conditions');
  if (!Array.isArray(list)) return undefined;
  return list.find((c): c is StatusCondition => typeof c === 'object' && c !== null && (c as StatusCondition).type === type);
}

/** `spec.suspend` of an object. */
export function isSuspended(obj: unknown): boolean {
  return field(obj, 'spec', 'suspend') === true;
}

/** The error for a kind the cluster does not serve: its CRD is missing. */
export function notServed(kind: CliKind): CliError {
  return new CliError(`the cluster does not serve ${kind.api.kind} (${kind.apiVersion}): install the CRDs with eddy install`);
}

/** Turns client failures into one-line CLI errors naming the object. */
export function clientError(err: unknown, what: string): Error {
  if (err instanceof CliError) return err;
  if (err instanceof KubeApiError) return new CliError(`${what}: ${err.message}`, { cause: err });
  if (err instanceof Error && err.name === 'TimeoutError') return new CliError(`${what}: timed out (see --timeout)`, { cause: err });
  return new CliError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Reads `namespace/name` of a kind; a missing object is an error naming it. */
export async function getObject(ctx: CliContext, kind: CliKind, name: string, namespace = ctx.namespace): Promise<ApiObject> {
  let found: ApiObject | undefined;
  try {
    found = await ctx.client().find<ApiObject>(refFor(kind, name, namespace), ctx.signal());
    if (!found) await ctx.client().resource(kind.apiVersion, kind.api.kind, ctx.signal());
  } catch (err) {
    if (err instanceof UnknownKindError) throw notServed(kind);
    throw clientError(err, `reading ${kind.api.kind} ${namespace}/${name}`);
  }
  if (!found) throw new CliError(`${kind.api.kind} '${name}' not found in namespace '${namespace}'`);
  return found;
}

/**
 * The objects of a kind in `namespace`, or in every namespace when it is undefined, sorted by
 * namespace and name. Undefined when the cluster does not serve the kind.
 */
export async function listObjects(ctx: CliContext, kind: CliKind, namespace: string | undefined): Promise<ApiObject[] | undefined> {
  try {
    await ctx.client().resource(kind.apiVersion, kind.api.kind, ctx.signal());
    const { items } = await ctx.client().list<ApiObject>({ apiVersion: kind.apiVersion, plural: kind.api.plural, ...(namespace ? { namespace } : {}) }, {}, ctx.signal());
    return items.sort((a, b) => key(a).localeCompare(key(b)));
  } catch (err) {
    if (err instanceof UnknownKindError) return undefined;
    throw clientError(err, `listing ${kind.api.plural}`);
  }
}

function key(o: ApiObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}
