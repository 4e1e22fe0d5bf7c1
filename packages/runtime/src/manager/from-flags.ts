/** Mapping the common controller flags onto a manager's options, so every main.ts stays short. */
import type { KubeConfig } from '@kubernetes/client-node';
import type { RuntimeFlags } from '../flags/runtime-flags.ts';
import type { Logger } from '../logging/logger.ts';
import type { ManagerOptions } from './manager.ts';

/** The manager options the runtime flags describe. */
export function managerOptionsFromFlags(
  flags: RuntimeFlags,
  process: { controllerName: string; kubeConfig: KubeConfig; logger: Logger },
): ManagerOptions {
  if ((flags.enableLeaderElection || !flags.watchAllNamespaces) && !flags.runtimeNamespace) {
    throw new Error('the controller\'s namespace is unknown: set RUNTIME_NAMESPACE or --runtime-namespace (needed for leader election and --watch-all-namespaces=false)');
  }
  return {
    ...process,
    runtimeNamespace: flags.runtimeNamespace,
    watchAllNamespaces: flags.watchAllNamespaces,
    watchLabelSelector: flags.watchLabelSelector,
    concurrency: flags.concurrent,
    retry: { baseDelayMs: flags.minRetryDelay.milliseconds, maxDelayMs: flags.maxRetryDelay.milliseconds },
    intervalJitterPercent: flags.intervalJitterPercentage,
    metricsAddr: flags.metricsAddr,
    healthAddr: flags.healthAddr,
    eventsAddr: flags.eventsAddr,
    ...(flags.enableLeaderElection
      ? {
          leaderElection: {
            leaseDurationMs: flags.leaderElectionLeaseDuration.milliseconds,
            renewDeadlineMs: flags.leaderElectionRenewDeadline.milliseconds,
            retryPeriodMs: flags.leaderElectionRetryPeriod.milliseconds,
            releaseOnCancel: flags.leaderElectionReleaseOnCancel,
          },
        }
      : {}),
  };
}
