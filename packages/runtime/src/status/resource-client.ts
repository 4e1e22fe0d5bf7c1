/**
 * The few requests the status package makes on an object of any custom resource kind: read it,
 * apply its status subresource, merge-patch it. The resource's plural comes from API discovery
 * (cached per client), so one client serves every kind, including ones installed after start.
 *
 * client-node's generic KubernetesObjectApi cannot address the `/status` subresource and its
 * generated custom-object methods cannot choose the patch content type, so every request here
 * goes through CustomObjectsApi with a per-request middleware that sets the content type and an
 * AbortSignal (the caller's, combined with a timeout): no request is unbounded.
 */
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  Observable,
  PatchStrategy,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1APIResource,
} from '@kubernetes/client-node';
import type { ObjectMeta } from '@eddy/api';

/** Which object a request is about. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped kinds. */
  namespace?: string;
}

/** An object as the API server returns it (the fields this package reads). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { managedFields?: { manager?: string; operation?: string; subresource?: string }[] };
  status?: Record<string, unknown>;
}

/** Options of {@link ResourceClient}. */
export interface ResourceClientOptions {
  /** Bound of every request, in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** Exposes KubernetesObjectApi's cached discovery, which it keeps protected. */
class Discovery extends KubernetesObjectApi {
  lookup(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }
}

interface Target {
  group: string;
  version: string;
  plural: string;
  namespace: string | undefined;
}

/** The object's reference: its apiVersion, kind, name and namespace. */
export function objectRef(obj: { apiVersion: string; kind: string; metadata: ObjectMeta }): ObjectRef {
  const { name, namespace } = obj.metadata;
  if (!name) throw new Error(`${obj.kind} has no metadata.name`);
  return namespace ? { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace } : { apiVersion: obj.apiVersion, kind: obj.kind, name };
}

/** Resolves with `promise`, or rejects as soon as `signal` aborts (the work itself is not stopped). */
async function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** client-node request options that set the Content-Type (when given) and the AbortSignal of one request. */
export function requestOptions(signal: AbortSignal, contentType?: string): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal);
      if (contentType) ctx.setHeaderParam('Content-Type', contentType);
      return new Observable(Promise.resolve(ctx));
    },
    post: (rsp: ResponseContext) => new Observable(Promise.resolve(rsp)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** A client for reading and patching objects of any custom resource kind (see the module comment). */
export class ResourceClient {
  private readonly discovery: Discovery;
  private readonly custom: CustomObjectsApi;
  private readonly timeoutMs: number;

  constructor(kc: KubeConfig, opts: ResourceClientOptions = {}) {
    this.discovery = kc.makeApiClient(Discovery);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Reads the object. */
  async get(ref: ObjectRef, signal?: AbortSignal): Promise<KubeObject> {
    const s = this.bound(signal);
    const t = await this.target(ref, s);
    const common = { group: t.group, version: t.version, plural: t.plural, name: ref.name };
    const opts = requestOptions(s);
    const obj: unknown = t.namespace
      ? await this.custom.getNamespacedCustomObject({ ...common, namespace: t.namespace }, opts)
      : await this.custom.getClusterCustomObject(common, opts);
    return obj as KubeObject;
  }

  /**
   * Server-side applies `status` to the object's status subresource as `fieldManager`, with
   * force: the manager owns every status field it sends, and fields it owned but no longer
   * sends are removed.
   */
  async applyStatus(ref: ObjectRef, status: object, fieldManager: string, signal?: AbortSignal): Promise<KubeObject> {
    const s = this.bound(signal);
    const t = await this.target(ref, s);
    const metadata = t.namespace ? { name: ref.name, namespace: t.namespace } : { name: ref.name };
    const body = { apiVersion: ref.apiVersion, kind: ref.kind, metadata, status };
    const common = { group: t.group, version: t.version, plural: t.plural, name: ref.name, body, fieldManager, force: true };
    const opts = requestOptions(s, PatchStrategy.ServerSideApply);
    const obj: unknown = t.namespace
      ? await this.custom.patchNamespacedCustomObjectStatus({ ...common, namespace: t.namespace }, opts)
      : await this.custom.patchClusterCustomObjectStatus(common, opts);
    return obj as KubeObject;
  }

  /** Applies a JSON merge patch (RFC 7386) to the object as `fieldManager`. */
  async mergePatch(ref: ObjectRef, patch: object, fieldManager: string, signal?: AbortSignal): Promise<KubeObject> {
    const s = this.bound(signal);
    const t = await this.target(ref, s);
    const common = { group: t.group, version: t.version, plural: t.plural, name: ref.name, body: patch, fieldManager };
    const opts = requestOptions(s, PatchStrategy.MergePatch);
    const obj: unknown = t.namespace
      ? await this.custom.patchNamespacedCustomObject({ ...common, namespace: t.namespace }, opts)
      : await this.custom.patchClusterCustomObject(common, opts);
    return obj as KubeObject;
  }

  private bound(signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  private async target(ref: ObjectRef, signal: AbortSignal): Promise<Target> {
    const slash = ref.apiVersion.indexOf('/');
    if (slash === -1) throw new Error(`${ref.kind} (${ref.apiVersion}) is a core kind; only custom resources are supported`);
    const resource = await abortable(this.discovery.lookup(ref.apiVersion, ref.kind), signal);
    if (!resource) throw new Error(`the API server does not serve kind ${ref.kind} in ${ref.apiVersion}`);
    if (resource.namespaced && !ref.namespace) throw new Error(`${ref.kind} ${ref.name} is namespaced but has no metadata.namespace`);
    return {
      group: ref.apiVersion.slice(0, slash),
      version: ref.apiVersion.slice(slash + 1),
      // Discovery lists subresources (`widgets/status`) under the same kind; keep the resource.
      plural: resource.name.split('/')[0] ?? resource.name,
      namespace: resource.namespaced ? ref.namespace : undefined,
    };
  }
}
