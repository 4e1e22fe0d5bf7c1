/**
 * Registry authentication for OCIRepository: where credentials come from (a
 * `kubernetes.io/dockerconfigjson` Secret, or Amazon ECR for `provider: aws`), the TLS material
 * of `spec.certSecretRef`, and answering a registry's `WWW-Authenticate` challenge (Basic, or
 * the Bearer token flow of the distribution spec) on behalf of {@link RegistryClient}.
 *
 * Credentials never reach a message: errors say which step failed and the HTTP status, not
 * what was sent.
 */
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { Reason, type OCIRepositorySpec } from '@eddy/api';
import { ReconcileError, StallingError, redactUrls } from '@eddy/runtime';
import type { Response } from 'undici';
import type { SecretData } from '../secrets.ts';
import { readBounded } from './http.ts';

/** A registry login: what Basic auth sends, and what the Bearer flow trades for a token. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** The Secret type `spec.secretRef` must have. */
export const dockerConfigJsonType = 'kubernetes.io/dockerconfigjson';

/** The key of a dockerconfigjson Secret holding the Docker config. */
export const dockerConfigJsonKey = '.dockerconfigjson';

function authFailed(message: string, cause?: unknown): ReconcileError {
  return new ReconcileError(Reason.AuthenticationFailed, redactUrls(message), cause === undefined ? undefined : { cause });
}

/** `host[:port]` of a Docker config key, which may be `host`, `https://host` or `https://host/v1/`. */
function configKeyHost(key: string): string {
  return key
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

// Docker Hub is reached as index.docker.io but logged into under several names.
const dockerHubAliases = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io']);

/**
 * The credentials for `registry` (`host[:port]`) in a Docker config JSON
 * (`{"auths": {"<host>": {"auth": "<base64 user:password>"}}}`, or `username`/`password`
 * instead of `auth`). Keys match with or without a scheme and path (`https://host/v1/`), an
 * exact key first. Undefined when no entry matches. Throws ReconcileError(AuthenticationFailed)
 * when the JSON or the matching entry is malformed.
 */
export function credentialsFromDockerConfig(config: string, registry: string): RegistryCredentials | undefined {
  let auths: unknown;
  try {
    auths = (JSON.parse(config) as { auths?: unknown } | null)?.auths;
  } catch {
    throw authFailed('the Docker config is not valid JSON');
  }
  if (typeof auths !== 'object' || auths === null) throw authFailed("the Docker config has no 'auths' object");
  const host = registry.toLowerCase();
  const entries = Object.entries(auths as Record<string, unknown>);
  const match =
    entries.find(([key]) => key.toLowerCase() === host) ??
    entries.find(([key]) => configKeyHost(key) === host) ??
    (dockerHubAliases.has(host) ? entries.find(([key]) => dockerHubAliases.has(configKeyHost(key))) : undefined);
  if (!match) return undefined;
  const entry = match[1] as { auth?: unknown; username?: unknown; password?: unknown } | null;
  if (typeof entry?.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw authFailed(`the Docker config entry for '${registry}' has an 'auth' that is not base64 of <username>:<password>`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry?.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  throw authFailed(`the Docker config entry for '${registry}' has neither 'auth' nor 'username' and 'password'`);
}

/**
 * The credentials for `registry` in the data of a `kubernetes.io/dockerconfigjson` Secret
 * (`spec.secretRef`, or an image pull secret of `spec.serviceAccountName`), which `secretName`
 * (`namespace/name`) names in messages. Undefined when the Secret has no entry for the
 * registry. Throws ReconcileError(AuthenticationFailed) for a Secret without `.dockerconfigjson`
 * or with a malformed one: fixing the Secret needs no spec change, so it is retried.
 */
export function credentialsFromSecret(data: SecretData, secretName: string, registry: string): RegistryCredentials | undefined {
  const config = data[dockerConfigJsonKey];
  if (config === undefined) throw authFailed(`secret '${secretName}' has no '${dockerConfigJsonKey}' key; it must be of type '${dockerConfigJsonType}'`);
  try {
    return credentialsFromDockerConfig(config.toString('utf8'), registry);
  } catch (err) {
    if (err instanceof ReconcileError) throw authFailed(`secret '${secretName}': ${err.message}`);
    throw err;
  }
}

/** TLS material for the registry connection, PEM-encoded (`spec.certSecretRef`). */
export interface RegistryTLS {
  /** CA certificate(s) the registry's certificate must chain to, instead of the system roots. */
  ca?: string;
  /** Client certificate, with `key`, for mutual TLS. */
  cert?: string;
  key?: string;
}

/**
 * The TLS material in the data of a `spec.certSecretRef` Secret (named `secretName` in
 * messages): `ca.crt`, and/or `tls.crt` with `tls.key`. Throws ReconcileError(AuthenticationFailed),
 * as Flux does, when the Secret has none of them or only one half of the client key pair.
 */
export function tlsFromSecret(data: SecretData, secretName: string): RegistryTLS {
  const ca = data['ca.crt']?.toString('utf8');
  const cert = data['tls.crt']?.toString('utf8');
  const key = data['tls.key']?.toString('utf8');
  if ((cert === undefined) !== (key === undefined)) throw authFailed(`secret '${secretName}' must hold both 'tls.crt' and 'tls.key', or neither`);
  if (ca === undefined && cert === undefined) throw authFailed(`secret '${secretName}' has none of 'ca.crt', 'tls.crt' and 'tls.key'`);
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
}

/** The cloud provider of `spec.provider`. */
export type RegistryProvider = NonNullable<OCIRepositorySpec['provider']>;

/** An Amazon ECR registry, from its host name `<account>.dkr.ecr[-fips].<region>.amazonaws.com`. */
export interface EcrRegistry {
  accountId: string;
  region: string;
  fips: boolean;
}

// Flux's pattern (fluxcd/pkg/auth/aws), covering the China, GovCloud, ISO and EU sovereign partitions.
const ecrHost = /^(?:.+\.)?(\d{12})\.dkr[.-]ecr(-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.(?:amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** The ECR registry a host names (`host[:port]`), or undefined when it is not an ECR host. */
export function ecrRegistry(registry: string): EcrRegistry | undefined {
  const m = ecrHost.exec(registry.replace(/:[0-9]+$/, ''));
  if (!m) return undefined;
  return { accountId: m[1]!, region: m[3]!, fips: m[2] !== undefined };
}

/** Gets an ECR authorization token (base64 of `AWS:<password>`) for a registry. */
export type EcrTokenSource = (registry: EcrRegistry, signal?: AbortSignal) => Promise<string>;

/**
 * The ECR token of the AWS SDK's default credential chain (the pod's workload identity: IRSA,
 * EKS Pod Identity or the node role), for the registry's region.
 */
export const ecrAuthorizationToken: EcrTokenSource = async (registry, signal) => {
  const client = new ECRClient({ region: registry.region, useFipsEndpoint: registry.fips });
  try {
    const out = await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
    const token = out.authorizationData?.[0]?.authorizationToken;
    if (!token) throw new Error('ECR returned no authorization token');
    return token;
  } finally {
    client.destroy();
  }
};

/** Options of {@link providerCredentials}. */
export interface ProviderCredentialsOptions {
  signal?: AbortSignal;
  /** Where ECR tokens come from; the AWS SDK by default. */
  ecrTokenSource?: EcrTokenSource;
}

/**
 * The credentials `spec.provider` gives for a registry: none for `generic` (the Secret is
 * used), an ECR authorization token for `aws`. Throws StallingError(InvalidProviderConfiguration)
 * for `aws` with a registry that is not ECR, and for `azure` and `gcp`, which Eddy does not
 * support yet; ReconcileError(AuthenticationFailed) when ECR refuses.
 */
export async function providerCredentials(
  provider: RegistryProvider | undefined,
  registry: string,
  options: ProviderCredentialsOptions = {},
): Promise<RegistryCredentials | undefined> {
  switch (provider ?? 'generic') {
    case 'generic':
      return undefined;
    case 'aws': {
      const ecr = ecrRegistry(registry);
      if (!ecr) {
        throw new StallingError(Reason.InvalidProviderConfiguration, `provider 'aws' needs an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com), got '${registry}'`);
      }
      let token: string;
      try {
        token = await (options.ecrTokenSource ?? ecrAuthorizationToken)(ecr, options.signal);
      } catch (err) {
        options.signal?.throwIfAborted();
        throw authFailed(`failed to get an ECR authorization token for '${registry}' in region ${ecr.region}: ${(err as Error).message}`, err);
      }
      const decoded = Buffer.from(token, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw authFailed(`the ECR authorization token for '${registry}' is malformed`);
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    default:
      throw new StallingError(Reason.InvalidProviderConfiguration, `provider '${provider}' is not supported; use provider 'generic' with spec.secretRef`);
  }
}

/** One `WWW-Authenticate` challenge: the scheme (lowercase) and its parameters (lowercase names). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const token68 = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/**
 * The challenges of a `WWW-Authenticate` header (RFC 9110 §11.6.1), e.g.
 * `Bearer realm="https://auth.io/token",service="reg",scope="repository:a/b:pull"`.
 * Parameters are `name=token` or `name="quoted string"`; unparsable trailing text is ignored.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < header.length && chars.test(header[i]!)) i++;
  };
  const readToken = (): string | undefined => {
    token68.lastIndex = i;
    const m = token68.exec(header);
    if (!m) return undefined;
    i = token68.lastIndex;
    return m[0];
  };
  let current: Challenge | undefined;
  // A token right after a scheme, with no comma between, is that scheme's token68 (e.g. Negotiate's).
  let afterScheme = false;
  while (i < header.length) {
    const before = i;
    skip(/[\s,]/);
    const comma = header.slice(before, i).includes(',');
    const name = readToken();
    if (name === undefined) break;
    skip(/\s/);
    if (current && header[i] === '=') {
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        value = readToken() ?? '';
      }
      current.params[name.toLowerCase()] = value;
      afterScheme = false;
    } else if (afterScheme && !comma) {
      afterScheme = false;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
      afterScheme = true;
    }
  }
  return out;
}

/** How {@link RegistryAuthorizer} sends its token request (the client's connection settings). */
export type TokenFetch = (url: URL, headers: Record<string, string>, signal?: AbortSignal) => Promise<Response>;

/** Options of {@link RegistryAuthorizer}. */
export interface RegistryAuthorizerOptions {
  credentials?: RegistryCredentials;
  /** The repository every token is asked for (`repository:<repo>:pull`). */
  repository: string;
  /** Whether a plain-HTTP token realm is acceptable (spec.insecure). */
  insecure: boolean;
  fetch: TokenFetch;
}

const maxTokenResponseBytes = 1 << 20;

/**
 * The authorization state of one registry session: none until the registry challenges, then
 * Basic with the credentials, or a Bearer token fetched from the challenge's realm (with the
 * credentials as Basic auth, or anonymously) for pulling the repository. Stateful, so each
 * {@link RegistryClient} owns one.
 */
export class RegistryAuthorizer {
  readonly #options: RegistryAuthorizerOptions;
  #header: string | undefined;

  constructor(options: RegistryAuthorizerOptions) {
    this.#options = options;
  }

  /** The `Authorization` header value for the next registry request, if a challenge asked for one. */
  authorization(): string | undefined {
    return this.#header;
  }

  /**
   * Answers a 401's `WWW-Authenticate` header, so the request can be retried with
   * {@link authorization}. Throws ReconcileError(AuthenticationFailed) when the challenge
   * cannot be met: Basic without credentials, an unknown scheme, or a refused token request.
   */
  async answer(header: string | null, signal?: AbortSignal): Promise<void> {
    const { credentials } = this.#options;
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      this.#header = `Bearer ${await this.#token(bearer, signal)}`;
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!credentials) throw authFailed('the registry requires authentication and no credentials are configured');
      this.#header = 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
      return;
    }
    throw authFailed(`the registry answered 401 with an unsupported challenge '${challenges[0]?.scheme ?? header ?? ''}'`);
  }

  async #token(challenge: Challenge, signal?: AbortSignal): Promise<string> {
    const { credentials, repository, insecure } = this.#options;
    const realm = challenge.params['realm'];
    if (!realm) throw authFailed('the registry sent a Bearer challenge without a realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw authFailed(`the registry's token realm '${realm}' is not a URL`);
    }
    if (url.protocol !== 'https:' && !(insecure && url.protocol === 'http:')) {
      throw authFailed(`refusing the token realm '${url.origin}${url.pathname}': it must be https (or http with spec.insecure)`);
    }
    if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
    const scopes = new Set((challenge.params['scope'] ?? '').split(' ').filter((s) => s !== ''));
    scopes.add(`repository:${repository}:pull`);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials) headers['authorization'] = 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    let res: Response;
    try {
      res = await this.#options.fetch(url, headers, signal);
    } catch (err) {
      signal?.throwIfAborted();
      throw authFailed(`token request to '${url.origin}${url.pathname}' failed: ${(err as Error).message}`, err);
    }
    const body = await readBounded(res, maxTokenResponseBytes, (m, cause) => authFailed(`token response of '${url.origin}${url.pathname}': ${m}`, cause), signal);
    if (!res.ok) throw authFailed(`token request to '${url.origin}${url.pathname}' refused: HTTP ${res.status}`);
    let parsed: { token?: unknown; access_token?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw authFailed(`token response of '${url.origin}${url.pathname}' is not JSON`);
    }
    const token = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') throw authFailed(`token response of '${url.origin}${url.pathname}' holds no token`);
    return token;
  }
}
