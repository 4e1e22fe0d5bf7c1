/**
 * kustomize-controller's entry point: wiring only. Flags → logger → client → manager with the
 * Kustomization reconciler → run until SIGTERM.
 */
import { Manager, createLogger, loadKubeConfig, managerOptionsFromFlags, parseCommandLine, runtimeFlags, runUntilTerminated } from '@eddy/runtime';
import { registerKustomizeReconcilers } from './register.ts';

const controllerName = 'kustomize-controller';
const flagSet = runtimeFlags({ runtimeNamespace: process.env['RUNTIME_NAMESPACE'] ?? '' })
  .string('kustomize-bin', 'kustomize', 'Path of the kustomize binary used to build Kustomizations.')
  .int('concurrent-ssa', 4, 'Number of objects applied at once by server-side apply.', { min: 1 })
  .int('max-artifact-size', 100 * 1024 * 1024, 'Largest source artifact accepted, downloaded and extracted, in bytes.', { min: 1 });
const flags = parseCommandLine(flagSet, controllerName, process);

const logger = createLogger({ level: flags.logLevel, encoding: flags.logEncoding, name: controllerName });
const kubeConfig = loadKubeConfig({ kubeconfigPath: flags.kubeconfig || process.env['KUBECONFIG'], qps: flags.kubeApiQps, burst: flags.kubeApiBurst });
const manager = new Manager(managerOptionsFromFlags(flags, { controllerName, kubeConfig, logger }));
registerKustomizeReconcilers(manager, {
  kustomizeBin: flags.kustomizeBin,
  // kustomize needs PATH (to be found by name) and HOME; nothing else of this process' environment.
  toolEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' },
  noCrossNamespaceRefs: flags.noCrossNamespaceRefs,
  defaultServiceAccount: flags.defaultServiceAccount,
  requeueDependencyMs: flags.requeueDependency.milliseconds,
  concurrentSsa: flags.concurrentSsa,
  maxArtifactBytes: flags.maxArtifactSize,
});

runUntilTerminated(manager, logger, process);
