/**
 * A small OCI distribution client over fetch for one repository: listing tags, resolving and
 * getting manifests, and streaming blobs. It speaks HTTPS (or plain HTTP with `insecure`),
 * takes TLS material through an undici Agent, answers authentication challenges through a
 * {@link RegistryAuthorizer}, and follows redirects itself so credentials are only ever sent
 * to the registry's own origin (blob redirects to storage hosts go without them).
 */
import { createHash } from 'node:crypto';
import { Reason } from '@eddy/api';
import { ReconcileError, redactUrls } from '@eddy/runtime';
import { Agent, fetch, type Response } from 'undici';
import { RegistryAuthorizer, type RegistryCredentials, type RegistryTLS } from './auth.ts';
import { discard, readBounded } from './http.ts';
import { manifestDigestPattern, parseRepositoryURL, type RepositoryURL } from './reference.ts';

/** The OCI image manifest media type. */
export const ociManifestMediaType = 'application/vnd.oci.image.manifest.v1+json';
/** The OCI image index (multi-platform) media type. */
export const ociIndexMediaType = 'application/vnd.oci.image.index.v1+json';
/** The Docker image manifest v2 schema 2 media type. */
export const dockerManifestMediaType = 'application/vnd.docker.distribution.manifest.v2+json';
/** The Docker manifest list (multi-platform) media type. */
export const dockerManifestListMediaType = 'application/vnd.docker.distribution.manifest.list.v2+json';

// Indexes are asked for too, so a multi-platform reference is reported as such rather than
// as a missing manifest.
const manifestAccept = [ociManifestMediaType, dockerManifestMediaType, ociIndexMediaType, dockerManifestListMediaType].join(', ');

/** Manifests larger than this are refused, as the distribution registry itself does. */
export const maxManifestBytes = 4 << 20;
const maxTagsPageBytes = 16 << 20;
const maxTagsPages = 1000;
const maxRedirects = 5;
const maxErrorBodyBytes = 64 << 10;

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Login for the registry (dockerconfigjson Secret or provider token); anonymous when absent. */
  credentials?: RegistryCredentials;
  /** Plain HTTP instead of HTTPS (`spec.insecure`). */
  insecure?: boolean;
  /** CA and client certificate (`spec.certSecretRef`). */
  tls?: RegistryTLS;
  /** Tags asked for per page of `tags/list` (default 1000). */
  tagsPageSize?: number;
  /** The User-Agent header (default `eddy-source-controller`). */
  userAgent?: string;
}

/** Options of one registry call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A manifest as fetched: its bytes, digest (checked against the reference when it is one) and media type. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

/** The `<algorithm>:<hex>` digest of bytes, for the algorithms OCI uses (sha256, sha512). */
function digestOf(algorithm: string, data: Uint8Array): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Whether a manifest reference is a digest rather than a tag. */
function isDigest(reference: string): boolean {
  return reference.includes(':');
}

/**
 * A client for one OCI repository (see the module comment). Stateful: it holds the connection
 * pool and the authorization won from the registry's challenge, so one client serves a whole
 * reconcile (resolve, then pull). Call {@link close} (or use `await using`) when done.
 */
export class RegistryClient implements AsyncDisposable {
  /** The repository this client talks to. */
  readonly repository: RepositoryURL;
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #authorizer: RegistryAuthorizer;
  readonly #insecure: boolean;
  readonly #tagsPageSize: number;
  readonly #userAgent: string;

  /**
   * A client for `url` (an `oci://` URL, or one parsed with {@link parseRepositoryURL}). Throws
   * StallingError(URLInvalid) for a malformed URL.
   */
  constructor(url: string | RepositoryURL, options: RegistryClientOptions = {}) {
    this.repository = typeof url === 'string' ? parseRepositoryURL(url) : url;
    this.#insecure = options.insecure ?? false;
    this.#base = new URL(`${this.#insecure ? 'http' : 'https'}://${this.repository.registry}`);
    this.#tagsPageSize = options.tagsPageSize ?? 1000;
    this.#userAgent = options.userAgent ?? 'eddy-source-controller';
    const tls = options.tls ?? {};
    this.#agent = new Agent({
      connect: {
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
      },
    });
    this.#authorizer = new RegistryAuthorizer({
      ...(options.credentials ? { credentials: options.credentials } : {}),
      repository: this.repository.repository,
      insecure: this.#insecure,
      fetch: (tokenUrl, headers, signal) => this.#fetch(tokenUrl, headers, 'GET', signal),
    });
  }

  /** Closes the connection pool; requests under way are aborted. */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }

  /** Closes the client at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Every tag of the repository, in the registry's order, following `Link: <…>; rel="next"`
   * pagination. Throws ReconcileError(OCIArtifactPullFailed) when listing fails
   * (AuthenticationFailed when refused).
   */
  async listTags(options: CallOptions = {}): Promise<string[]> {
    const tags: string[] = [];
    let next: URL | undefined = new URL(`/v2/${this.repository.repository}/tags/list?n=${this.#tagsPageSize}`, this.#base);
    const what = `failed to list tags of '${this.repository.name}'`;
    for (let page = 0; next; page++) {
      if (page >= maxTagsPages) throw this.#fail(Reason.OCIArtifactPullFailed, `${what}: more than ${maxTagsPages} pages`);
      const res = await this.#request(next, 'GET', 'application/json', Reason.OCIArtifactPullFailed, what, options.signal);
      await this.#expectOk(res, Reason.OCIArtifactPullFailed, what, options.signal);
      const body = await readBounded(res, maxTagsPageBytes, (m, cause) => this.#fail(Reason.OCIArtifactPullFailed, `${what}: ${m}`, cause), options.signal);
      let parsed: { tags?: unknown };
      try {
        parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
      } catch {
        throw this.#fail(Reason.OCIArtifactPullFailed, `${what}: the answer is not JSON`);
      }
      if (Array.isArray(parsed.tags)) tags.push(...parsed.tags.filter((t): t is string => typeof t === 'string'));
      next = this.#nextPage(res.headers.get('link'), next);
    }
    return tags;
  }

  /**
   * The digest, media type and size of the manifest a tag or digest points at (a HEAD
   * request; a GET when the registry sends no `Docker-Content-Digest`). Throws
   * ReconcileError(OCIArtifactPullFailed), or AuthenticationFailed when refused.
   */
  async headManifest(reference: string, options: CallOptions = {}): Promise<{ digest: string; mediaType: string; size: number }> {
    const what = `failed to resolve '${this.#describe(reference)}'`;
    const url = new URL(`/v2/${this.repository.repository}/manifests/${reference}`, this.#base);
    const res = await this.#request(url, 'HEAD', manifestAccept, Reason.OCIArtifactPullFailed, what, options.signal);
    await this.#expectOk(res, Reason.OCIArtifactPullFailed, what, options.signal);
    await discard(res);
    const digest = res.headers.get('docker-content-digest');
    if (digest && !manifestDigestPattern.test(digest)) throw this.#fail(Reason.OCIArtifactPullFailed, `${what}: the registry sent a malformed digest`);
    if (digest) {
      return { digest, mediaType: mediaTypeOf(res.headers.get('content-type')), size: Number(res.headers.get('content-length') ?? 0) };
    }
    const manifest = await this.getManifest(reference, options);
    return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.body.length };
  }

  /**
   * The manifest a tag or digest points at, at most {@link maxManifestBytes}. Its digest is
   * computed from the bytes; when `reference` is a digest, or the registry states one, they
   * must agree. Throws ReconcileError(OCIArtifactPullFailed), or AuthenticationFailed when refused.
   */
  async getManifest(reference: string, options: CallOptions = {}): Promise<FetchedManifest> {
    const what = `failed to get the manifest of '${this.#describe(reference)}'`;
    const url = new URL(`/v2/${this.repository.repository}/manifests/${reference}`, this.#base);
    const res = await this.#request(url, 'GET', manifestAccept, Reason.OCIArtifactPullFailed, what, options.signal);
    await this.#expectOk(res, Reason.OCIArtifactPullFailed, what, options.signal);
    const body = await readBounded(res, maxManifestBytes, (m, cause) => this.#fail(Reason.OCIArtifactPullFailed, `${what}: ${m}`, cause), options.signal);
    const expected = isDigest(reference) ? reference : res.headers.get('docker-content-digest');
    const algorithm = expected?.slice(0, expected.indexOf(':')) || 'sha256';
    if (algorithm !== 'sha256' && algorithm !== 'sha512') throw this.#fail(Reason.OCIArtifactPullFailed, `${what}: unsupported digest algorithm '${algorithm}'`);
    const digest = digestOf(algorithm, body);
    if (expected && expected !== digest) {
      throw this.#fail(Reason.OCIArtifactPullFailed, `${what}: the manifest's digest is ${digest}, expected ${expected}`);
    }
    let mediaType = mediaTypeOf(res.headers.get('content-type'));
    try {
      const declared = (JSON.parse(body.toString('utf8')) as { mediaType?: unknown } | null)?.mediaType;
      if (typeof declared === 'string' && declared !== '') mediaType = declared;
    } catch {
      throw this.#fail(Reason.OCIArtifactPullFailed, `${what}: the manifest is not JSON`);
    }
    return { digest, mediaType, body };
  }

  /**
   * The response streaming a blob; the caller reads (or discards) its body and must verify the
   * digest. Throws ReconcileError(OCIArtifactLayerOperationFailed), or AuthenticationFailed
   * when refused.
   */
  async getBlob(digest: string, options: CallOptions = {}): Promise<Response> {
    const what = `failed to fetch layer ${digest} of '${this.repository.name}'`;
    const url = new URL(`/v2/${this.repository.repository}/blobs/${digest}`, this.#base);
    const res = await this.#request(url, 'GET', '*/*', Reason.OCIArtifactLayerOperationFailed, what, options.signal);
    await this.#expectOk(res, Reason.OCIArtifactLayerOperationFailed, what, options.signal);
    return res;
  }

  /** `<name>:<tag>` or `<name>@<digest>`: how messages name a reference. */
  #describe(reference: string): string {
    return `${this.repository.name}${isDigest(reference) ? '@' : ':'}${reference}`;
  }

  #fail(reason: string, message: string, cause?: unknown): ReconcileError {
    return new ReconcileError(reason, redactUrls(message), cause === undefined ? undefined : { cause });
  }

  /** Throws for a non-2xx answer: AuthenticationFailed for 401/403, else `reason`, quoting the registry's error codes. */
  async #expectOk(res: Response, reason: string, what: string, signal?: AbortSignal): Promise<void> {
    if (res.ok) return;
    let detail = '';
    try {
      const body = await readBounded(res, maxErrorBodyBytes, (m) => new Error(m), signal);
      const errors = (JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown; message?: unknown }> } | null)?.errors;
      if (Array.isArray(errors)) {
        detail = errors
          .map((e) => [e.code, e.message].filter((x) => typeof x === 'string').join(': '))
          .filter((s) => s !== '')
          .join('; ');
      }
    } catch {
      signal?.throwIfAborted();
      // A body that is not the distribution spec's error JSON adds nothing worth quoting.
    }
    const status = `HTTP ${res.status}${detail ? ` (${detail.slice(0, 512)})` : ''}`;
    if (res.status === 401 || res.status === 403) throw this.#fail(Reason.AuthenticationFailed, `${what}: authentication failed: ${status}`);
    throw this.#fail(reason, `${what}: ${status}`);
  }

  /**
   * Sends a registry request: authorized as the last challenge asked, answering one new 401
   * challenge and retrying once, redirects followed by {@link #fetch}. Transport failures
   * throw ReconcileError(`reason`); an abort is rethrown as is.
   */
  async #request(url: URL, method: string, accept: string, reason: string, what: string, signal?: AbortSignal): Promise<Response> {
    const send = async (): Promise<Response> => {
      const headers: Record<string, string> = { accept };
      const authorization = this.#authorizer.authorization();
      if (authorization) headers['authorization'] = authorization;
      try {
        return await this.#fetch(url, headers, method, signal);
      } catch (err) {
        signal?.throwIfAborted();
        if (err instanceof ReconcileError) throw err;
        const cause = (err as Error & { cause?: Error }).cause;
        throw this.#fail(reason, `${what}: ${(err as Error).message}${cause?.message ? `: ${cause.message}` : ''}`, err);
      }
    };
    const res = await send();
    if (res.status !== 401) return res;
    await discard(res);
    try {
      await this.#authorizer.answer(res.headers.get('www-authenticate'), signal);
    } catch (err) {
      // The authorizer knows why; this says for what.
      if (err instanceof ReconcileError) throw this.#fail(err.reason, `${what}: ${err.message}`, err);
      throw err;
    }
    return await send();
  }

  /**
   * One fetch through the client's Agent, following up to {@link maxRedirects} redirects.
   * The `authorization` header only goes to the registry's origin (and the token realm it
   * was meant for), never to a redirect target elsewhere; an HTTPS-to-HTTP downgrade is refused.
   */
  async #fetch(url: URL, headers: Record<string, string>, method: string, signal?: AbortSignal): Promise<Response> {
    let target = url;
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      const sent: Record<string, string> = { ...headers, 'user-agent': this.#userAgent };
      if (target.origin !== origin) delete sent['authorization'];
      const res = await fetch(target, { method, headers: sent, redirect: 'manual', dispatcher: this.#agent, ...(signal ? { signal } : {}) });
      const location = res.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      await discard(res);
      if (hop >= maxRedirects) throw this.#fail(Reason.OCIArtifactPullFailed, `too many redirects from '${url.origin}${url.pathname}'`);
      const next = new URL(location, target);
      if (next.protocol === 'http:' && target.protocol === 'https:' && !this.#insecure) {
        throw this.#fail(Reason.OCIArtifactPullFailed, `refusing the redirect from '${target.origin}${target.pathname}' to plain HTTP '${next.origin}'`);
      }
      target = next;
    }
  }

  /** The next page of a `tags/list` answer, from its Link header; must stay on the registry. */
  #nextPage(link: string | null, current: URL): URL | undefined {
    const m = link ? /<([^>]*)>\s*;\s*rel="?next"?/i.exec(link) : null;
    if (!m) return undefined;
    const next = new URL(m[1]!, current);
    if (next.origin !== this.#base.origin) {
      throw this.#fail(Reason.OCIArtifactPullFailed, `the tag list of '${this.repository.name}' links to another host '${next.origin}'`);
    }
    return next;
  }
}

/** The media type of a Content-Type header, without parameters. */
function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim();
}
