/**
 * kustomize-controller's entry point: wiring only. Flags → logger → client → manager with the
 * Kustomization reconciler → run until SIGTERM.
 */
import { Manager, createLogger, loadKubeConfig, managerOptionsFromFlags, parseCommandLine, runUntilTerminated } from '@eddy/runtime';
import { kustomizeControllerFlags } from './flags.ts';
import { registerKustomizeReconcilers } from './register.ts';

const controllerName = 'kustomize-controller';
const flags = parseCommandLine(kustomizeControllerFlags({ runtimeNamespace: process.env['RUNTIME_NAMESPACE'] ?? '' }), controllerName, process);

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
  remoteKubeConfig: { allowExec: flags.insecureKubeconfigExec, allowInsecureTls: flags.insecureKubeconfigTls },
});

runUntilTerminated(manager, logger, process);
