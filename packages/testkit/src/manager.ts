/** Manager options for a controller run inside a test process, against the test environment. */
import { PassThrough } from 'node:stream';
import { createLogger, loadKubeConfig, type ManagerOptions } from '@eddy/runtime';
import type { EnvInfo } from './env/info.ts';

/** What a test says about its manager: the controller, its namespace, and any option to change. */
export type TestManagerSettings = { controllerName: string; namespace: string } & Partial<ManagerOptions>;

/**
 * The options of a Manager watching one namespace of the test environment, as tests want them:
 * a silent logger, no interval jitter, short retries (200 ms to 2 s), metrics and health on
 * ports the OS picks, no event forwarding, a 10 s shutdown deadline and a generous client rate
 * limit. Anything in `settings` besides the names replaces the default.
 */
export function testManagerOptions(env: EnvInfo, settings: TestManagerSettings): ManagerOptions {
  const { controllerName, namespace, ...overrides } = settings;
  return {
    controllerName,
    kubeConfig: overrides.kubeConfig ?? loadKubeConfig({ kubeconfigPath: env.kubeconfig, qps: 200, burst: 400 }),
    logger: overrides.logger ?? createLogger({ level: 'error', encoding: 'json', name: controllerName, stream: new PassThrough().resume() }),
    runtimeNamespace: namespace,
    watchAllNamespaces: false,
    watchLabelSelector: '',
    concurrency: 4,
    retry: { baseDelayMs: 200, maxDelayMs: 2_000 },
    intervalJitterPercent: 0,
    metricsAddr: '127.0.0.1:0',
    healthAddr: '127.0.0.1:0',
    eventsAddr: '',
    shutdownDeadlineMs: 10_000,
    ...overrides,
  };
}
