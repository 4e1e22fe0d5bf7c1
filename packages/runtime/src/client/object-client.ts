/**
 * The one plain-JSON client for objects of any kind: discover a kind's resource, read, list,
 * server-side apply (optionally to the status subresource, optionally as a dry run),
 * merge-patch, JSON-patch and delete.
 *
 * client-node's typed APIs serialize through their models (turning timestamps into `Date`s,
 * dropping fields a model does not know) and cannot be cancelled per call; its
 * KubernetesObjectApi cannot address the `/status` subresource either. So requests are sent
 * with undici, client-node's HTTP client, keeping client-node's authentication (headers and the
 * TLS client) and the rate limiting of Eddy's KubeConfig: every one carries the caller's
 * AbortSignal combined with a per-request timeout, and bodies stay the API server's JSON, in
 * the shape its watch delivers.
 */
import type { ObjectMeta } from '@eddy/api';
import { HttpMethod, PatchStrategy, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { getGlobalDispatcher } from 'undici';
import { redactUrls } from '../logging/redact.ts';
import { sharedDispatcher } from './kube-config.ts';
import { Deadline } from '../util/deadline.ts';

/** One entry of `metadata.managedFields`. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** An object of any kind as the API server returns it: plain JSON. */
export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { managedFields?: ManagedFieldsEntry[] };
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/**
 * Which object a request is about: the object itself, or a stub of it with apiVersion, kind,
 * `metadata.name` and, for a namespaced kind, `metadata.namespace` (other fields are ignored).
 */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string };
}

/** A resource as API discovery lists it. */
export interface ApiResource {
  /** Plural resource name, e.g. `deployments`. */
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Which collection a list is about: a kind's API version and plural resource name, in one namespace or all. */
export interface CollectionRef {
  /** e.g. `v1`, `source.toolkit.fluxcd.io/v1`. */
  apiVersion: string;
  /** e.g. `gitrepositories`. */
  plural: string;
  /** One namespace; all namespaces when undefined or empty (and for cluster-scoped kinds). */
  namespace?: string;
}

/** A cause of a Kubernetes Status: which field, and what is wrong with it. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** A request the API server answered with an error status; `message` is the Status message. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** The HTTP status code, e.g. 404, 409, 422. */
  readonly code: number;
  /** The Status reason, e.g. `NotFound`, `Invalid`, `Conflict`; empty when the body was no Status. */
  readonly reason: string;
  /** The Status details' causes, e.g. one per invalid field. */
  readonly causes: readonly StatusCause[];

  constructor(code: number, reason: string, message: string, causes: readonly StatusCause[]) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.causes = causes;
  }
}

/** Whether `err` is the API server saying the object (or its collection) does not exist (HTTP 404). */
export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

/** The error for a kind the API server does not serve in `apiVersion` (its CRD is missing or not yet served). */
export class UnknownKindError extends Error {
  override readonly name = 'UnknownKindError';
  readonly apiVersion: string;
  readonly kind: string;

  constructor(apiVersion: string, kind: string) {
    super(`no matches for kind "${kind}" in version "${apiVersion}"`);
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

/** Options of {@link ObjectClient}. */
export interface ObjectClientOptions {
  /** Bound of each request (each page of a list) in milliseconds (default 30 s). */
  requestTimeoutMs?: number;
  /** Sent as the User-Agent, so the API server's audit log names the caller (e.g. the field manager). */
  userAgent?: string;
  /**
   * The namespace of a namespaced object whose reference names none, as kubectl's context
   * namespace is for manifests. Without it such a reference is an error.
   */
  defaultNamespace?: string;
}

/** Options of {@link ObjectClient.apply}. */
export interface ApplyObjectOptions {
  fieldManager: string;
  /** Force conflicts: take over fields other managers own. */
  force?: boolean;
  /** Validate and default without persisting. */
  dryRun?: boolean;
  /** Apply to this subresource (the object's `status`) instead of the object. */
  subresource?: 'status';
}

/** Options of {@link ObjectClient.mergePatch} and {@link ObjectClient.jsonPatch}. */
export interface PatchObjectOptions {
  /** The field manager of the change; the API server's default (the User-Agent) when absent. */
  fieldManager?: string;
}

/** A JSON Patch (RFC 6902) operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

/** How a deletion treats the object's dependents (Kubernetes' propagationPolicy). */
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** Conditions a deletion must meet, so an object re-created or changed since it was read is left alone. */
export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/** Options of {@link ObjectClient.list}. */
export interface ListObjectsOptions {
  labelSelector?: string;
  /** Objects per page (default 500). */
  pageSize?: number;
}

/** A complete list: every object, and the resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** Largest response body read, in characters: etcd holds objects of at most 1.5 MiB. */
const maxBodyChars = 16 * 1024 * 1024;

/** How many expired continue tokens in a row a list survives by starting over. */
const maxListRestarts = 3;

/** The URL path of a collection, e.g. `/apis/source.toolkit.fluxcd.io/v1/namespaces/ns/gitrepositories`. */
export function collectionPath(ref: CollectionRef): string {
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `${groupVersionPath(ref.apiVersion)}${ns}/${ref.plural}`;
}

/**
 * A plain-JSON client for objects of any kind (see the module comment). Discovery results are
 * cached per client, and asked again when a kind is missing from them (its CRD may be newer
 * than the cache), so one long-lived client serves kinds installed after it started.
 */
export class ObjectClient {
  readonly #kc: KubeConfig;
  readonly #timeoutMs: number;
  readonly #userAgent: string | undefined;
  readonly #defaultNamespace: string | undefined;
  /** The resources of each apiVersion, as last discovered; empty when the apiVersion is not served. */
  readonly #discovery = new Map<string, ApiResource[]>();

  constructor(kc: KubeConfig, opts: ObjectClientOptions = {}) {
    this.#kc = kc;
    this.#timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.#userAgent = opts.userAgent;
    this.#defaultNamespace = opts.defaultNamespace;
  }

  /**
   * The resource serving `kind` in `apiVersion`. Throws {@link UnknownKindError} when the API
   * server does not serve it, after asking the server again (the cache may predate a CRD).
   */
  async resource(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ApiResource> {
    const cached = this.#discovery.get(apiVersion)?.find((r) => r.kind === kind);
    if (cached) return cached;
    let served: ApiResource[];
    try {
      const body = (await this.#request(HttpMethod.GET, groupVersionPath(apiVersion), signal)) as { resources?: Partial<ApiResource>[] };
      // Subresources (`deployments/status`) are listed under their parent's kind; keep resources.
      served = (body.resources ?? []).flatMap((r) => (r.name && r.kind && !r.name.includes('/') ? [{ name: r.name, kind: r.kind, namespaced: r.namespaced === true }] : []));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      served = [];
    }
    this.#discovery.set(apiVersion, served);
    const found = served.find((r) => r.kind === kind);
    if (!found) throw new UnknownKindError(apiVersion, kind);
    return found;
  }

  /**
   * Reads the object. Throws a 404 {@link KubeApiError} when it does not exist and
   * {@link UnknownKindError} when its kind is not served; see {@link find} for "absent" as a value.
   */
  async get<T = ApiObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T> {
    return (await this.#request(HttpMethod.GET, await this.#objectPath(ref, signal), signal)) as T;
  }

  /**
   * The object, or undefined when it does not exist (404, or its kind is not served, e.g. after
   * its CRD was deleted). Any other failure (5xx, network, timeout, abort) throws: it never
   * reads as "gone".
   */
  async find<T = ApiObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, signal);
    } catch (err) {
      if (isNotFound(err) || err instanceof UnknownKindError) return undefined;
      throw err;
    }
  }

  /**
   * Lists every object of a collection, page by page, as one consistent snapshot (the API server
   * serves continued pages from the first page's resourceVersion). When a continue token has
   * expired (410) the list starts over, at most a few times in a row.
   */
  async list<T = ApiObject>(collection: CollectionRef, opts: ListObjectsOptions = {}, signal?: AbortSignal): Promise<ListResult<T>> {
    const path = collectionPath(collection);
    for (let attempt = 1; ; attempt++) {
      const items: T[] = [];
      let token: string | undefined;
      try {
        for (;;) {
          const query = new URLSearchParams({ limit: String(opts.pageSize ?? 500) });
          if (opts.labelSelector) query.set('labelSelector', opts.labelSelector);
          if (token) query.set('continue', token);
          const page = (await this.#request(HttpMethod.GET, `${path}?${query.toString()}`, signal)) as {
            metadata?: { resourceVersion?: string; continue?: string };
            items?: T[];
          };
          items.push(...(page.items ?? []));
          token = page.metadata?.continue || undefined;
          if (!token) return { items, resourceVersion: page.metadata?.resourceVersion ?? '' };
        }
      } catch (err) {
        if (token && err instanceof KubeApiError && err.code === 410 && attempt < maxListRestarts) continue;
        throw err;
      }
    }
  }

  /**
   * Server-side applies `obj` (creating it when absent) as `opts.fieldManager` and returns the
   * result. With `subresource: 'status'` only the status is applied: the manager owns every
   * status field it sends, and fields it owned but no longer sends are removed.
   */
  async apply<T = ApiObject>(obj: ObjectRef, opts: ApplyObjectOptions, signal?: AbortSignal): Promise<T> {
    const query = new URLSearchParams({ fieldManager: opts.fieldManager });
    if (opts.force) query.set('force', 'true');
    if (opts.dryRun) query.set('dryRun', 'All');
    const sub = opts.subresource ? `/${opts.subresource}` : '';
    const path = `${await this.#objectPath(obj, signal)}${sub}?${query.toString()}`;
    return (await this.#request(HttpMethod.PATCH, path, signal, { contentType: PatchStrategy.ServerSideApply, body: obj })) as T;
  }

  /** Applies a JSON merge patch (RFC 7386) to the object and returns the result. */
  async mergePatch<T = ApiObject>(ref: ObjectRef, patch: object, opts: PatchObjectOptions = {}, signal?: AbortSignal): Promise<T> {
    const path = await this.#objectPath(ref, signal);
    return (await this.#request(HttpMethod.PATCH, withFieldManager(path, opts), signal, { contentType: PatchStrategy.MergePatch, body: patch })) as T;
  }

  /** Applies a JSON Patch (RFC 6902) to the object and returns the result. */
  async jsonPatch<T = ApiObject>(ref: ObjectRef, patch: readonly JsonPatchOperation[], opts: PatchObjectOptions = {}, signal?: AbortSignal): Promise<T> {
    const path = await this.#objectPath(ref, signal);
    return (await this.#request(HttpMethod.PATCH, withFieldManager(path, opts), signal, { contentType: PatchStrategy.JsonPatch, body: patch })) as T;
  }

  /**
   * Deletes the object with the given propagation policy and preconditions (a uid precondition
   * leaves an object re-created under the same name alone). Resolves `gone` when it no longer
   * exists (or its kind is not served), `deleted` when the API server accepted the deletion (it
   * may still be terminating, held by finalizers). A failed precondition throws a 409.
   */
  async delete(ref: ObjectRef, propagationPolicy: PropagationPolicy, signal?: AbortSignal, preconditions?: Preconditions): Promise<'deleted' | 'gone'> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy };
    if (preconditions?.uid || preconditions?.resourceVersion) body['preconditions'] = preconditions;
    try {
      await this.#request(HttpMethod.DELETE, await this.#objectPath(ref, signal), signal, { contentType: 'application/json', body });
      return 'deleted';
    } catch (err) {
      if (isNotFound(err) || err instanceof UnknownKindError) return 'gone';
      throw err;
    }
  }

  /** The URL path of the object, from its kind's discovered resource. */
  async #objectPath(ref: ObjectRef, signal: AbortSignal | undefined): Promise<string> {
    const { name } = ref.metadata;
    if (!name) throw new Error(`${ref.kind} has no metadata.name`);
    const resource = await this.resource(ref.apiVersion, ref.kind, signal);
    let ns = '';
    if (resource.namespaced) {
      const namespace = ref.metadata.namespace || this.#defaultNamespace;
      if (!namespace) throw new Error(`${ref.kind} ${name} is namespaced but has no metadata.namespace`);
      ns = `/namespaces/${encodeURIComponent(namespace)}`;
    }
    return `${groupVersionPath(ref.apiVersion)}${ns}/${resource.name}/${encodeURIComponent(name)}`;
  }

  /**
   * Sends one request, bounded by the client's timeout and `signal`, and returns the parsed JSON
   * answer. An error status throws {@link KubeApiError}; an abort of `signal` throws its reason;
   * any other failure (network, timeout) throws an error naming the request, credential-free.
   */
  async #request(method: HttpMethod, path: string, signal: AbortSignal | undefined, payload?: { contentType: string; body: unknown }): Promise<unknown> {
    signal?.throwIfAborted();
    // Read per request, not at construction: a client can be built before its kubeconfig is complete.
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const ctx = new RequestContext(cluster.server.replace(/\/+$/, '') + path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    if (this.#userAgent) ctx.setHeaderParam('User-Agent', this.#userAgent);
    if (payload) {
      ctx.setHeaderParam('Content-Type', payload.contentType);
      ctx.setBody(JSON.stringify(payload.body));
    }
    // The credentials (headers, and a TLS client as the dispatcher) and the rate limit.
    await this.#kc.applySecurityAuthentication(ctx);
    const url = new URL(ctx.getUrl());
    using deadline = new Deadline(this.#timeoutMs, signal);
    let status: number;
    let text: string;
    try {
      // undici's request rather than fetch (which client-node's HTTP library uses): the same
      // connection pool without WHATWG Request, Response and stream objects per call, which at
      // 1,000 Kustomizations were a good part of the controller's garbage.
      // One pool per TLS identity for any KubeConfig, not only the controllers' rate-limited one
      // (a plain KubeConfig, as the CLI's, would otherwise pay a TLS handshake per request).
      const fresh = ctx.getDispatcher();
      const response = await (fresh ? sharedDispatcher(this.#kc, fresh) : getGlobalDispatcher()).request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers: ctx.getHeaders(),
        body: ctx.getBody() as string | undefined,
        signal: deadline.signal,
      });
      const length = Number(response.headers['content-length'] ?? '0');
      if (length > maxBodyChars) {
        await response.body.dump();
        throw new Error(`response of ${length} bytes exceeds ${maxBodyChars}`);
      }
      status = response.statusCode;
      text = await response.body.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('operation aborted', { cause: err });
      // Network errors may quote the server URL; never let credentials in it reach a message.
      // What failed (ECONNREFUSED, a TLS error) may be the error's cause.
      const why = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
      throw new Error(redactUrls(`${method} ${path}: ${why}`), { cause: err });
    }
    if (text.length > maxBodyChars) throw new Error(`${method} ${path}: response larger than ${maxBodyChars} characters`);
    if (status < 200 || status > 299) throw statusError(status, text);
    return JSON.parse(text) as unknown;
  }
}

/** The URL path of an API group version, e.g. `/api/v1`, `/apis/apps/v1`: the core group lives under /api. */
function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

function withFieldManager(path: string, opts: PatchObjectOptions): string {
  return opts.fieldManager ? `${path}?${new URLSearchParams({ fieldManager: opts.fieldManager }).toString()}` : path;
}

/** The error of a failed request, from the Status the API server answered with. */
function statusError(code: number, text: string): KubeApiError {
  try {
    const status = JSON.parse(text) as { message?: unknown; reason?: unknown; details?: { causes?: StatusCause[] } };
    if (typeof status.message === 'string') {
      return new KubeApiError(code, typeof status.reason === 'string' ? status.reason : '', redactUrls(status.message), status.details?.causes ?? []);
    }
  } catch {
    // Not a Status: quote the start of the body below.
  }
  return new KubeApiError(code, '', redactUrls(text.slice(0, 500)) || `HTTP ${code}`, []);
}
