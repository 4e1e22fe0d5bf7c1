/**
 * Kubernetes client configuration: from a kubeconfig file or in-cluster, rate limited by
 * `--kube-api-qps`/`--kube-api-burst`, and derived configurations that impersonate a tenant's
 * ServiceAccount or reach a remote cluster from a kubeconfig held in a Secret.
 */
import { KubeConfig, type RequestContext, type User } from '@kubernetes/client-node';
import { StallingError } from '../errors/errors.ts';
import { TokenBucket } from './rate-limiter.ts';

/**
 * A KubeConfig whose every request (API calls and watches alike go through
 * `applySecurityAuthentication`) first takes a token from a shared {@link TokenBucket}.
 */
export class RateLimitedKubeConfig extends KubeConfig {
  readonly limiter: TokenBucket;

  constructor(limiter: TokenBucket) {
    super();
    this.limiter = limiter;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.limiter.take();
    await super.applySecurityAuthentication(context);
    // client-node builds a new connection pool for every request, so each request paid a TCP
    // and TLS handshake (about 4 ms of CPU here, and as much in the API server). Requests with
    // the same TLS identity share one pool instead; headers (token, impersonation) stay per request.
    const fresh = context.getDispatcher();
    if (fresh) context.setDispatcher(sharedDispatcher(this, fresh));
  }
}

/** The connection pool a request is sent through (undici's, as client-node uses it). */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/** One connection pool per TLS identity (server, CA, client certificate), shared by every KubeConfig derived from it. */
const dispatchers = new Map<string, Dispatcher>();

/**
 * The connection pool for `kc`'s TLS identity: the first `fresh` pool client-node built for it,
 * kept and returned for every later request (client-node builds a new one per request).
 */
export function sharedDispatcher(kc: KubeConfig, fresh: Dispatcher): Dispatcher {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  // Each request asks (the rate-limited KubeConfig, then ObjectClient): while the KubeConfig's
  // current cluster and user are the objects it last had, its pool is known without building
  // the key, which holds the certificates' text.
  const last = lastDispatcher.get(kc);
  if (last && last.cluster === cluster && last.user === user) return last.dispatcher;
  const key = JSON.stringify([
    cluster?.server, cluster?.caFile, cluster?.caData, cluster?.skipTLSVerify, cluster?.tlsServerName, cluster?.proxyUrl,
    user?.certFile, user?.certData, user?.keyFile, user?.keyData,
  ]);
  const dispatcher = dispatchers.get(key) ?? fresh;
  dispatchers.set(key, dispatcher);
  lastDispatcher.set(kc, { cluster, user, dispatcher });
  return dispatcher;
}

/** The pool each KubeConfig was last given, with the cluster and user it was given for. */
const lastDispatcher = new WeakMap<KubeConfig, { cluster: unknown; user: unknown; dispatcher: Dispatcher }>();

/** Where the controller's own credentials come from. */
export interface KubeConfigSource {
  /** A kubeconfig file (`--kubeconfig` or `KUBECONFIG`); when absent, the in-cluster config is used. */
  kubeconfigPath?: string;
  qps: number;
  burst: number;
}

/** The controller's own KubeConfig. */
export function loadKubeConfig(source: KubeConfigSource): RateLimitedKubeConfig {
  const kc = new RateLimitedKubeConfig(new TokenBucket(source.qps, source.burst));
  if (source.kubeconfigPath) kc.loadFromFile(source.kubeconfigPath);
  else kc.loadFromCluster();
  return kc;
}

function derive(base: KubeConfig, user: User): KubeConfig {
  const kc = base instanceof RateLimitedKubeConfig ? new RateLimitedKubeConfig(base.limiter) : new KubeConfig();
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  kc.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ name: 'impersonation', cluster: cluster.name, user: user.name }],
    currentContext: 'impersonation',
  });
  return kc;
}

/** The Kubernetes user name of a ServiceAccount. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * A KubeConfig that acts as the ServiceAccount `namespace/name` (the `Impersonate-User`
 * header), sharing the base's credentials and rate limit. Used for `spec.serviceAccountName`
 * and `--default-service-account`.
 */
export function impersonatingKubeConfig(base: KubeConfig, namespace: string, serviceAccount: string): KubeConfig {
  const user = base.getCurrentUser();
  if (!user) throw new Error('kubeconfig has no current user');
  return derive(base, { ...user, name: `${user.name}-as-${serviceAccount}`, impersonateUser: serviceAccountUser(namespace, serviceAccount) });
}

/**
 * The ServiceAccount a tenant's object runs as: its own `spec.serviceAccountName`, else the
 * controller's `--default-service-account`, else none (the controller's own identity).
 */
export function tenantServiceAccount(specServiceAccountName: string | undefined, defaultServiceAccount: string): string | undefined {
  return specServiceAccountName || defaultServiceAccount || undefined;
}

/** Options of {@link remoteKubeConfig}, mirroring Flux's `--insecure-kubeconfig-*` flags. */
export interface RemoteKubeConfigOptions {
  /** Allow `exec` credential plugins (off by default: they run commands in the controller). */
  allowExec?: boolean;
  /** Allow `insecure-skip-tls-verify` (off by default). */
  allowInsecureTls?: boolean;
}

/**
 * A KubeConfig for a remote cluster from the kubeconfig text a `spec.kubeConfig.secretRef`
 * Secret holds. Refuses credential plugins and disabled TLS verification unless allowed,
 * with a StallingError that says which and how to allow it.
 */
export function remoteKubeConfig(kubeconfigText: string, secretName: string, opts: RemoteKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(kubeconfigText);
  } catch (err) {
    // Only the first line: the parser's excerpt of the text around the error may hold credentials.
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new StallingError('InvalidKubeConfig', `the kubeconfig in Secret ${secretName} cannot be read: ${reason}`);
  }
  const user = kc.getCurrentUser();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new StallingError('InvalidKubeConfig', `the kubeconfig in Secret ${secretName} has no current context or cluster`);
  if (!opts.allowExec && (user?.exec || user?.authProvider)) {
    throw new StallingError(
      'InvalidKubeConfig',
      `the kubeconfig in Secret ${secretName} uses a credential plugin, which is disabled (--insecure-kubeconfig-exec=false)`,
    );
  }
  if (!opts.allowInsecureTls && cluster.skipTLSVerify) {
    throw new StallingError(
      'InvalidKubeConfig',
      `the kubeconfig in Secret ${secretName} disables TLS verification, which is refused (--insecure-kubeconfig-tls=false)`,
    );
  }
  return kc;
}
