/**
 * The few requests the resource manager makes on objects of any kind, as plain JSON: discover a
 * kind's resource, read, server-side apply (optionally as a dry run), JSON-patch and delete.
 *
 * client-node's KubernetesObjectApi serializes through its typed models (dropping fields a
 * model does not know, turning timestamps into `Date`s) and cannot be cancelled, so requests go
 * through client-node's HTTP library directly: every one carries the caller's AbortSignal
 * combined with a per-request timeout, and its body stays the API server's JSON.
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, PatchStrategy, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { redactUrls } from '@eddy/runtime';
import type { KubeObject } from './object.ts';

/** A resource as API discovery lists it. */
export interface ApiResource {
  /** Plural resource name, e.g. `deployments`. */
  name: string;
  kind: string;
  namespaced: boolean;
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
  /** The Status reason, e.g. `NotFound`, `Invalid`, `Conflict`. */
  readonly reason: string;
  readonly causes: readonly StatusCause[];

  constructor(code: number, reason: string, message: string, causes: readonly StatusCause[]) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.causes = causes;
  }
}

/** Whether `err` is the API server saying the object (or its collection) does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

/** The API server does not serve `kind` in `apiVersion` (its CRD is missing or not yet served). */
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

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** Bound of each request in milliseconds (default 30 s). */
  requestTimeoutMs?: number;
}

/** Largest response body read, in characters: etcd holds objects of at most 1.5 MiB. */
const maxBodyChars = 16 * 1024 * 1024;

/** Options of a server-side apply. */
export interface ApplyPatchOptions {
  fieldManager: string;
  /** Force conflicts: take over fields other managers own. */
  force: boolean;
  /** Validate and default without persisting. */
  dryRun: boolean;
}

/** A JSON Patch (RFC 6902) operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

/** A plain-JSON client for objects of any kind (see the module comment). */
export class KubeClient {
  private readonly kc: KubeConfig;
  private readonly server: string;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly requestTimeoutMs: number;
  /** Discovery per apiVersion; refreshed when a kind is not found (its CRD may be new). */
  private readonly discovery = new Map<string, ApiResource[]>();

  constructor(kc: KubeConfig, opts: KubeClientOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.kc = kc;
    this.server = cluster.server.replace(/\/+$/, '');
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  /**
   * The resource serving `kind` in `apiVersion`. Throws {@link UnknownKindError} when the API
   * server does not serve it, after asking the server again (the cache may predate a CRD).
   */
  async resource(apiVersion: string, kind: string, signal: AbortSignal): Promise<ApiResource> {
    const cached = this.discovery.get(apiVersion)?.find((r) => r.kind === kind);
    if (cached) return cached;
    let list: ApiResource[];
    try {
      const body = (await this.request(HttpMethod.GET, groupVersionPath(apiVersion), signal)) as { resources?: ApiResource[] };
      // Subresources (`deployments/scale`) are listed under their own kinds; keep resources.
      list = (body.resources ?? []).filter((r) => !r.name.includes('/'));
    } catch (err) {
      if (isNotFound(err)) throw new UnknownKindError(apiVersion, kind);
      throw err;
    }
    this.discovery.set(apiVersion, list);
    const found = list.find((r) => r.kind === kind);
    if (!found) throw new UnknownKindError(apiVersion, kind);
    return found;
  }

  /** Reads the object; throws a 404 {@link KubeApiError} when it does not exist. */
  async get(obj: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    return (await this.request(HttpMethod.GET, await this.objectPath(obj, signal), signal)) as KubeObject;
  }

  /** Server-side applies `obj` (creating it when absent) and returns the result. */
  async apply(obj: KubeObject, opts: ApplyPatchOptions, signal: AbortSignal): Promise<KubeObject> {
    const query = new URLSearchParams({ fieldManager: opts.fieldManager });
    if (opts.force) query.set('force', 'true');
    if (opts.dryRun) query.set('dryRun', 'All');
    const path = `${await this.objectPath(obj, signal)}?${query.toString()}`;
    return (await this.request(HttpMethod.PATCH, path, signal, { contentType: PatchStrategy.ServerSideApply, body: obj })) as KubeObject;
  }

  /** Applies a JSON Patch to the object. */
  async jsonPatch(obj: KubeObject, patch: readonly JsonPatchOperation[], signal: AbortSignal): Promise<KubeObject> {
    const path = await this.objectPath(obj, signal);
    return (await this.request(HttpMethod.PATCH, path, signal, { contentType: PatchStrategy.JsonPatch, body: patch })) as KubeObject;
  }

  /** Deletes the object with the given propagation policy; a missing object is not an error. */
  async delete(obj: KubeObject, propagationPolicy: 'Foreground' | 'Background', signal: AbortSignal): Promise<void> {
    const path = await this.objectPath(obj, signal);
    try {
      await this.request(HttpMethod.DELETE, path, signal, {
        contentType: 'application/json',
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async objectPath(obj: KubeObject, signal: AbortSignal): Promise<string> {
    const resource = await this.resource(obj.apiVersion, obj.kind, signal);
    const { name, namespace } = obj.metadata;
    const ns = resource.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
    return `${groupVersionPath(obj.apiVersion)}${ns}/${resource.name}/${encodeURIComponent(name)}`;
  }

  private async request(method: HttpMethod, path: string, signal: AbortSignal, payload?: { contentType: string; body: unknown }): Promise<unknown> {
    signal.throwIfAborted();
    const ctx = new RequestContext(this.server + path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    if (payload) {
      ctx.setHeaderParam('Content-Type', payload.contentType);
      ctx.setBody(JSON.stringify(payload.body));
    }
    await this.kc.applySecurityAuthentication(ctx);
    ctx.setSignal(AbortSignal.any([signal, AbortSignal.timeout(this.requestTimeoutMs)]));
    const response = await this.http.send(ctx).toPromise();
    const text = await response.body.text();
    if (text.length > maxBodyChars) throw new Error(`${method} ${path}: response larger than ${maxBodyChars} characters`);
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) throw statusError(response.httpStatusCode, text);
    return JSON.parse(text) as unknown;
  }
}

/** The URL path of an API group version, e.g. `/api/v1`, `/apis/apps/v1`. */
function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
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
