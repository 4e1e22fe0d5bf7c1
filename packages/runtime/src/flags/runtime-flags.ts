/**
 * The command-line flags every Flux controller shares (fluxcd/pkg/runtime's client, leader
 * election, logger, ACL, rate-limiter, jitter and feature-gate options, plus the controller
 * main's own), with Flux's names, defaults and help texts, so a Flux controller's Deployment
 * args work unchanged. A controller adds its own flags to the returned set.
 */
import { formatDuration, type Duration } from '@eddy/api';
import { logLevels, type LogLevel } from '../logging/logger.ts';
import { FlagSet } from './flag-set.ts';

/** Log encodings as Flux's `--log-encoding` names them. */
export const logEncodings = ['json', 'console'] as const;
/** One of {@link logEncodings}. */
export type LogEncoding = (typeof logEncodings)[number];

/** The parsed values of {@link runtimeFlags}, each under its flag's camelCase name. */
export interface RuntimeFlags {
  /** `--kubeconfig`: path to a kubeconfig; empty means in-cluster (or the default loading rules). */
  readonly kubeconfig: string;
  /** `--concurrent`: reconciles of this controller's kind that may run at once. */
  readonly concurrent: number;
  /** `--requeue-dependency`: how long an object waiting on a dependency waits before retrying. */
  readonly requeueDependency: Duration;
  /** `--watch-all-namespaces`: false restricts every watch to {@link RuntimeFlags.runtimeNamespace}. */
  readonly watchAllNamespaces: boolean;
  /** `--watch-label-selector`: only objects matching this label selector are reconciled. */
  readonly watchLabelSelector: string;
  /** `--watch-configs-label-selector`: ConfigMaps and Secrets matching it trigger reconciles of their referrers. */
  readonly watchConfigsLabelSelector: string;
  /** `--enable-leader-election`: run the controllers only while holding the leader-election lease. */
  readonly enableLeaderElection: boolean;
  /** `--leader-election-lease-duration`: how long non-leaders wait before taking over an unrenewed lease. */
  readonly leaderElectionLeaseDuration: Duration;
  /** `--leader-election-renew-deadline`: how long the leader keeps retrying a renewal before giving up. */
  readonly leaderElectionRenewDeadline: Duration;
  /** `--leader-election-retry-period`: the interval between attempts to acquire or renew the lease. */
  readonly leaderElectionRetryPeriod: Duration;
  /** `--leader-election-release-on-cancel`: release the lease on shutdown so a successor need not wait. */
  readonly leaderElectionReleaseOnCancel: boolean;
  /** `--metrics-addr`: the metrics endpoint's listen address. */
  readonly metricsAddr: string;
  /** `--health-addr`: the health endpoint's listen address (/healthz, /readyz). */
  readonly healthAddr: string;
  /** `--log-level`. */
  readonly logLevel: LogLevel;
  /** `--log-encoding`. */
  readonly logEncoding: LogEncoding;
  /** `--events-addr`: notification-controller's events receiver; empty disables forwarding. */
  readonly eventsAddr: string;
  /** `--no-cross-namespace-refs`: refuse references to objects in another namespace. */
  readonly noCrossNamespaceRefs: boolean;
  /** `--default-service-account`: the account impersonated when an object names none; empty means the controller's own. */
  readonly defaultServiceAccount: string;
  /** `--kube-api-qps`: the client's sustained request rate to the Kubernetes API. */
  readonly kubeApiQps: number;
  /** `--kube-api-burst`: the client's request burst to the Kubernetes API. */
  readonly kubeApiBurst: number;
  /** `--min-retry-delay`: the first backoff of a failing object. */
  readonly minRetryDelay: Duration;
  /** `--max-retry-delay`: the backoff cap of a failing object. */
  readonly maxRetryDelay: Duration;
  /** `--interval-jitter-percentage`: +/- this percentage of jitter on every success requeue (0 to 99). */
  readonly intervalJitterPercentage: number;
  /** `--feature-gates`: feature name → enabled, as given; the controller validates the names. */
  readonly featureGates: Readonly<Record<string, boolean>>;
  /**
   * `--runtime-namespace`: the namespace the controller runs in, for its leader-election lease and
   * for `--watch-all-namespaces=false`. main.ts defaults it from `RUNTIME_NAMESPACE`, as Flux does.
   */
  readonly runtimeNamespace: string;
}

/** Flux's defaults of the runtime flags (source-controller overrides `concurrent` with 2). */
export const runtimeFlagDefaults: RuntimeFlags = Object.freeze({
  kubeconfig: '',
  concurrent: 4,
  requeueDependency: { milliseconds: 30_000 },
  watchAllNamespaces: true,
  watchLabelSelector: '',
  watchConfigsLabelSelector: 'reconcile.fluxcd.io/watch=Enabled',
  enableLeaderElection: false,
  leaderElectionLeaseDuration: { milliseconds: 35_000 },
  leaderElectionRenewDeadline: { milliseconds: 30_000 },
  leaderElectionRetryPeriod: { milliseconds: 5_000 },
  leaderElectionReleaseOnCancel: true,
  metricsAddr: ':8080',
  healthAddr: ':9440',
  logLevel: 'info',
  logEncoding: 'json',
  eventsAddr: '',
  noCrossNamespaceRefs: false,
  defaultServiceAccount: '',
  kubeApiQps: 50,
  kubeApiBurst: 300,
  minRetryDelay: { milliseconds: 750 },
  maxRetryDelay: { milliseconds: 900_000 },
  intervalJitterPercentage: 5,
  featureGates: Object.freeze({}),
  runtimeNamespace: '',
});

/**
 * client-go's leader elector multiplies the retry period by this jitter factor and requires the
 * renew deadline to exceed the result.
 */
const leaderElectionJitterFactor = 1.2;

/**
 * Creates a flag set holding the runtime flags with Flux's defaults, overridden by `defaults`
 * (e.g. `{ concurrent: 2 }`, or `runtimeNamespace` from the environment). Parsing also rejects
 * combinations Flux would fail on at start-up or silently misread: leader-election timings the
 * leader elector refuses, and `--watch-all-namespaces=false` without a runtime namespace.
 */
export function runtimeFlags(defaults: Partial<RuntimeFlags> = {}): FlagSet<RuntimeFlags> {
  const d: RuntimeFlags = { ...runtimeFlagDefaults, ...defaults };
  return new FlagSet()
    .string('kubeconfig', d.kubeconfig, 'Kubeconfig file to use; without it the in-cluster configuration is used.')
    .int('concurrent', d.concurrent, 'How many objects of each kind are reconciled at the same time.', { min: 1 })
    .duration('requeue-dependency', d.requeueDependency, 'How long to wait before checking again an object whose dependencies are not ready.')
    .bool(
      'watch-all-namespaces',
      d.watchAllNamespaces,
      'Reconcile objects in every namespace; false limits the controller to its own namespace.',
    )
    .string('watch-label-selector', d.watchLabelSelector, "Reconcile only objects whose labels match this selector (sharding), e.g. 'sharding.fluxcd.io/key=shard1'.")
    .string('watch-configs-label-selector', d.watchConfigsLabelSelector, 'ConfigMaps and Secrets with labels matching this selector trigger the objects that reference them.')
    .bool(
      'enable-leader-election',
      d.enableLeaderElection,
      'Hold a Lease so that only one replica of the controller reconciles at a time.',
    )
    .duration(
      'leader-election-lease-duration',
      d.leaderElectionLeaseDuration,
      'How long the Lease is valid without renewal before another replica may take it.',
    )
    .duration(
      'leader-election-renew-deadline',
      d.leaderElectionRenewDeadline,
      'How long the leader keeps trying to renew the Lease before it gives up leadership.',
    )
    .duration(
      'leader-election-retry-period',
      d.leaderElectionRetryPeriod,
      'How often replicas try to take the Lease, and the leader renews it.',
    )
    .bool(
      'leader-election-release-on-cancel',
      d.leaderElectionReleaseOnCancel,
      'Release the Lease on shutdown so another replica takes over at once.',
    )
    .string('metrics-addr', d.metricsAddr, 'Listen address of the Prometheus /metrics endpoint.')
    .string('health-addr', d.healthAddr, 'Listen address of the /healthz and /readyz probes.')
    .string('log-level', d.logLevel, "Least severe level logged: trace, debug, info or error.", { oneOf: logLevels })
    .string('log-encoding', d.logEncoding, "Log line format: json (for flux logs and log collectors) or console (for people).", { oneOf: logEncodings })
    .string('events-addr', d.eventsAddr, 'Address of notification-controller, where events are also sent; empty sends none.')
    .bool(
      'no-cross-namespace-refs',
      d.noCrossNamespaceRefs,
      'Refuse references from an object to objects in other namespaces (multi-tenancy lockdown).',
    )
    .string('default-service-account', d.defaultServiceAccount, 'ServiceAccount to act as for objects that name none in spec.serviceAccountName.')
    .float('kube-api-qps', d.kubeApiQps, 'Requests per second the controller may send to the Kubernetes API on average.', { min: 0 })
    .int('kube-api-burst', d.kubeApiBurst, 'Requests the controller may send to the Kubernetes API at once, above the average rate.', { min: 0 })
    .duration(
      'min-retry-delay',
      d.minRetryDelay,
      'First delay before a failed reconcile is retried; it doubles on each failure.',
    )
    .duration(
      'max-retry-delay',
      d.maxRetryDelay,
      'Longest delay between retries of a failing reconcile.',
    )
    .int(
      'interval-jitter-percentage',
      d.intervalJitterPercentage,
      'Spread of each interval, in percent (0-99): 10 reconciles every 10m object between 9m and 11m, so many objects do not all run at once.',
      { min: 0, max: 99 },
    )
    .stringToBool('feature-gates', d.featureGates, 'Experimental features to turn on or off, as Name=true,Other=false.')
    .string(
      'runtime-namespace',
      d.runtimeNamespace,
      'The namespace the controller runs in, used for leader election and by --watch-all-namespaces=false; defaults to the RUNTIME_NAMESPACE environment variable.',
    )
    .check(checkLeaderElection)
    .check((v) =>
      !v.watchAllNamespaces && v.runtimeNamespace === ''
        ? '--watch-all-namespaces=false needs the runtime namespace: set RUNTIME_NAMESPACE or --runtime-namespace'
        : undefined,
    );
}

/** The timing rules client-go's leader elector enforces, checked when leader election is on. */
function checkLeaderElection(v: RuntimeFlags): string | undefined {
  if (!v.enableLeaderElection) return undefined;
  const lease = v.leaderElectionLeaseDuration;
  const renew = v.leaderElectionRenewDeadline;
  const retry = v.leaderElectionRetryPeriod;
  for (const [name, d] of [
    ['lease-duration', lease],
    ['renew-deadline', renew],
    ['retry-period', retry],
  ] as const) {
    if (d.milliseconds <= 0) return `--leader-election-${name} must be greater than zero, got ${formatDuration(d)}`;
  }
  if (lease.milliseconds <= renew.milliseconds) {
    return `--leader-election-lease-duration (${formatDuration(lease)}) must be greater than --leader-election-renew-deadline (${formatDuration(renew)})`;
  }
  if (renew.milliseconds <= leaderElectionJitterFactor * retry.milliseconds) {
    return `--leader-election-renew-deadline (${formatDuration(renew)}) must be greater than 1.2 × --leader-election-retry-period (${formatDuration(retry)})`;
  }
  return undefined;
}
