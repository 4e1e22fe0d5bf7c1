/**
 * A small client that reads and deletes objects named by an {@link ObjectRef}, used by prune and
 * health. It talks to the API server directly rather than through client-node's
 * KubernetesObjectApi because that one cannot be cancelled per call, turns timestamps of built-in
 * kinds into `Date`s, and runs discovery without a timeout; prune and health need plain JSON and
 * every request bounded by a timeout and the caller's AbortSignal.
 */
import { redactUrls } from '@eddy/runtime';
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { apiVersionOf, subjectOf, type ObjectRef } from './inventory.ts';

/** An object as the API server returns it: plain JSON. */
export type LiveObject = Record<string, unknown>;

/** Options of {@link ObjectClient}. */
export interface ObjectClientOptions {
  /** Time allowed for each request (default 30 s). */
  requestTimeoutMs?: number;
  /** Sent as the User-Agent, so the API server's audit log names the caller (e.g. the field manager). */
  userAgent?: string;
}

/** Where a kind is served: its plural resource name and whether it is namespaced. */
interface Resource {
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources?: { name?: string; kind?: string; namespaced?: boolean }[];
}

/** The most a response body may hold; the API server caps objects far below this. */
const maxBodyBytes = 16 * 1024 * 1024;

/**
 * Reads and deletes objects by reference, with a per-instance discovery cache. Every request is
 * bounded by `requestTimeoutMs` and the AbortSignal given to the call. Create one per operation
 * (a prune, a wait) so the discovery cache never outlives a CRD change by much.
 */
export class ObjectClient {
  readonly #kc: KubeConfig;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #timeoutMs: number;
  readonly #userAgent: string | undefined;
  /** Discovery results per group-version: kind → resource; undefined when the group-version is not served. */
  readonly #discovery = new Map<string, Promise<Map<string, Resource> | undefined>>();

  constructor(kc: KubeConfig, opts: ObjectClientOptions = {}) {
    this.#kc = kc;
    this.#timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.#userAgent = opts.userAgent;
  }

  /**
   * The live object, or undefined when it does not exist (404, or its kind is no longer served,
   * e.g. after its CRD was deleted). Any other failure (5xx, network, timeout, abort) throws: it
   * never reads as "gone".
   */
  async get(ref: ObjectRef, signal: AbortSignal): Promise<LiveObject | undefined> {
    const path = await this.#objectPath(ref, signal);
    if (path === undefined) return undefined;
    const { status, body } = await this.#request(HttpMethod.GET, path, undefined, signal);
    if (status === 404) return undefined;
    if (status !== 200) throw apiError(status, body, `get ${subjectOf(ref)}`);
    return JSON.parse(body) as LiveObject;
  }

  /**
   * Deletes the object with the given uid (a precondition, so an object re-created under the same
   * name in the meantime is left alone). Resolves `gone` when it no longer exists, `deleted` when
   * the API server accepted the deletion (it may still be terminating, held by finalizers).
   */
  async delete(ref: ObjectRef, opts: { uid?: string; propagationPolicy: string }, signal: AbortSignal): Promise<'deleted' | 'gone'> {
    const path = await this.#objectPath(ref, signal);
    if (path === undefined) return 'gone';
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy };
    if (opts.uid) body.preconditions = { uid: opts.uid };
    const res = await this.#request(HttpMethod.DELETE, path, JSON.stringify(body), signal);
    if (res.status === 404) return 'gone';
    if (res.status === 200 || res.status === 202) return 'deleted';
    throw apiError(res.status, res.body, `delete ${subjectOf(ref)}`);
  }

  /** The URL path of the object, or undefined when its kind is not served. */
  async #objectPath(ref: ObjectRef, signal: AbortSignal): Promise<string | undefined> {
    const resource = await this.#resource(ref, signal);
    if (!resource) return undefined;
    const root = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
    if (resource.namespaced && !ref.namespace) throw new Error(`${subjectOf(ref)}: ${ref.kind} is namespaced but the reference has no namespace`);
    const ns = resource.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    return `${root}${ns}/${resource.plural}/${encodeURIComponent(ref.name)}`;
  }

  async #resource(ref: ObjectRef, signal: AbortSignal): Promise<Resource | undefined> {
    const gv = apiVersionOf(ref);
    let pending = this.#discovery.get(gv);
    if (!pending) {
      pending = this.#discover(gv, signal);
      this.#discovery.set(gv, pending);
      // A failed discovery is not cached: the next call asks again.
      pending.catch(() => this.#discovery.delete(gv));
    }
    return (await pending)?.get(ref.kind);
  }

  async #discover(gv: string, signal: AbortSignal): Promise<Map<string, Resource> | undefined> {
    const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    const { status, body } = await this.#request(HttpMethod.GET, path, undefined, signal);
    if (status === 404) return undefined;
    if (status !== 200) throw apiError(status, body, `discover ${gv}`);
    const list = JSON.parse(body) as ApiResourceList;
    const byKind = new Map<string, Resource>();
    for (const r of list.resources ?? []) {
      // Subresources (`deployments/status`) share the kind of their parent.
      if (!r.name || !r.kind || r.name.includes('/')) continue;
      byKind.set(r.kind, { plural: r.name, namespaced: r.namespaced === true });
    }
    return byKind;
  }

  async #request(method: HttpMethod, path: string, body: string | undefined, signal: AbortSignal): Promise<{ status: number; body: string }> {
    signal.throwIfAborted();
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const ctx = new RequestContext(cluster.server + path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    if (this.#userAgent) ctx.setHeaderParam('User-Agent', this.#userAgent);
    if (body !== undefined) {
      ctx.setHeaderParam('Content-Type', 'application/json');
      ctx.setBody(body);
    }
    await this.#kc.applySecurityAuthentication(ctx);
    ctx.setSignal(AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]));
    try {
      const response = await this.#http.send(ctx).toPromise();
      const length = Number(response.headers['content-length'] ?? '0');
      if (length > maxBodyBytes) throw new Error(`${method} ${path}: response of ${length} bytes exceeds ${maxBodyBytes}`);
      const text = await response.body.text();
      if (text.length > maxBodyBytes) throw new Error(`${method} ${path}: response exceeds ${maxBodyBytes} bytes`);
      return { status: response.httpStatusCode, body: text };
    } catch (err) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('operation aborted', { cause: err });
      // Network errors quote the server URL; never let credentials in it reach a message.
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(redactUrls(`${method} ${path}: ${why}`), { cause: err });
    }
  }
}

/** An API server answer other than success or 404; `code` is the HTTP status. */
export class ObjectRequestError extends Error {
  override readonly name = 'ObjectRequestError';
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** The error for an unexpected answer, carrying the Status message of the response. */
function apiError(status: number, body: string, what: string): ObjectRequestError {
  return new ObjectRequestError(status, redactUrls(`${what}: ${statusMessage(body)} (HTTP ${status})`));
}

/** The message of a Kubernetes Status body, or the body's start when it is not one. */
function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 200);
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in the order of `items`. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** The message of a thrown value, with URL credentials removed. */
export function errorMessage(err: unknown): string {
  return redactUrls(err instanceof Error ? err.message : String(err));
}
