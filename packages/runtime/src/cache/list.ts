/**
 * Paths of a kind's collection on the API server, and a complete, paginated, cancellable list
 * of it as plain JSON. client-node's typed list calls turn timestamps into `Date`s for built-in
 * kinds and cannot be cancelled; its watch delivers plain JSON, so the list must too for the
 * store to hold one shape.
 */
import { ApiException, HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';

/** Which collection: a kind's API version and plural resource name, in one namespace or all. */
export interface CollectionRef {
  /** e.g. `v1`, `source.toolkit.fluxcd.io/v1`. */
  apiVersion: string;
  /** e.g. `gitrepositories`. */
  plural: string;
  /** One namespace; all namespaces when undefined (and for cluster-scoped kinds). */
  namespace?: string;
}

/** The URL path of a collection, e.g. `/apis/source.toolkit.fluxcd.io/v1/namespaces/ns/gitrepositories`. */
export function collectionPath(ref: CollectionRef): string {
  // The core group lives under /api, every other group under /apis.
  const root = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `${root}${ns}/${ref.plural}`;
}

/** Options of {@link listCollection}. */
export interface ListOptions {
  labelSelector?: string;
  /** Objects per page (default 500). */
  pageSize?: number;
  /** Time allowed for each page (default 60 s). */
  pageTimeoutMs?: number;
  signal: AbortSignal;
}

/** A complete list: every object, and the resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

interface ListBody<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/**
 * Lists every object of a collection, page by page, as one consistent snapshot (the API server
 * serves continued pages from the first page's resourceVersion). When a continue token has
 * expired (410) the list starts over. Fails with client-node's `ApiException` on an HTTP error.
 */
export async function listCollection<T>(kc: KubeConfig, path: string, opts: ListOptions): Promise<ListResult<T>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const http = new IsomorphicFetchHttpLibrary();
  // A snapshot never restarts forever: the third expired token in a row is an error.
  for (let attempt = 1; ; attempt++) {
    const items: T[] = [];
    let token: string | undefined;
    try {
      for (;;) {
        const url = new URL(cluster.server + path);
        url.searchParams.set('limit', String(opts.pageSize ?? 500));
        if (opts.labelSelector) url.searchParams.set('labelSelector', opts.labelSelector);
        if (token) url.searchParams.set('continue', token);
        const ctx = new RequestContext(url.toString(), HttpMethod.GET);
        ctx.setHeaderParam('Accept', 'application/json');
        await kc.applySecurityAuthentication(ctx);
        ctx.setSignal(AbortSignal.any([opts.signal, AbortSignal.timeout(opts.pageTimeoutMs ?? 60_000)]));
        const response = await http.send(ctx).toPromise();
        const text = await response.body.text();
        if (response.httpStatusCode !== 200) {
          throw new ApiException(response.httpStatusCode, statusMessage(text), text, response.headers);
        }
        const body = JSON.parse(text) as ListBody<T>;
        items.push(...(body.items ?? []));
        token = body.metadata?.continue || undefined;
        if (!token) return { items, resourceVersion: body.metadata?.resourceVersion ?? '' };
      }
    } catch (err) {
      if (token && err instanceof ApiException && err.code === 410 && attempt < 3) continue;
      throw err;
    }
  }
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
