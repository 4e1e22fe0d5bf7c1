/**
 * source-controller's entry point: wiring only. Flags → logger → client → storage and its
 * HTTP server → manager with the GitRepository and OCIRepository reconcilers → run until
 * SIGTERM.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { Manager, createLogger, loadKubeConfig, managerOptionsFromFlags, parseCommandLine, runUntilTerminated } from '@eddy/runtime';
import { sourceControllerFlags } from './flags.ts';
import { registerSourceReconcilers } from './register.ts';
import { ArtifactServer } from './storage/server.ts';
import { Storage } from './storage/storage.ts';

const controllerName = 'source-controller';
const flags = parseCommandLine(sourceControllerFlags({ runtimeNamespace: process.env['RUNTIME_NAMESPACE'] ?? '', hostname: hostname() }), controllerName, process);

const logger = createLogger({ level: flags.logLevel, encoding: flags.logEncoding, name: controllerName });
const kubeConfig = loadKubeConfig({ kubeconfigPath: flags.kubeconfig || process.env['KUBECONFIG'], qps: flags.kubeApiQps, burst: flags.kubeApiBurst });
await mkdir(flags.storagePath, { recursive: true });
const storage = new Storage({
  root: flags.storagePath,
  advertisedAddress: flags.storageAdvAddr,
  retentionTtlMs: flags.artifactRetentionTtl.milliseconds,
  retentionRecords: flags.artifactRetentionRecords,
  logger,
});
const server = new ArtifactServer(storage, logger);
const storageAddress = await server.start(flags.storageAddr);
logger.info('artifact server listening', { address: storageAddress, advertised: storage.baseUrl });

const manager = new Manager(managerOptionsFromFlags(flags, { controllerName, kubeConfig, logger }));
// git needs PATH (and HOME for its config lookup); nothing else of this process' environment.
const gitEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
registerSourceReconcilers(manager, { storage, gitEnv, requeueDependencyMs: flags.requeueDependency.milliseconds });

runUntilTerminated(manager, logger, process, () => server.stop());
