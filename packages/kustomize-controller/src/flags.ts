/** kustomize-controller's flags: the runtime's common ones plus build, apply and remote-cluster settings, as Flux names them. */
import { runtimeFlags } from '@eddy/runtime';

/** The flag set of kustomize-controller. */
export function kustomizeControllerFlags(env: { runtimeNamespace: string }) {
  return runtimeFlags({ runtimeNamespace: env.runtimeNamespace })
    .string('kustomize-bin', 'kustomize', 'Path of the kustomize binary used to build Kustomizations.')
    .int('concurrent-ssa', 4, 'Number of objects applied at once by server-side apply.', { min: 1 })
    .int('max-artifact-size', 100 * 1024 * 1024, 'Largest source artifact accepted, downloaded and extracted, in bytes.', { min: 1 })
    .bool('insecure-kubeconfig-exec', false, 'Allow the kubeconfigs of spec.kubeConfig to use exec credential plugins (they run commands in the controller).')
    .bool('insecure-kubeconfig-tls', false, 'Allow the kubeconfigs of spec.kubeConfig to disable TLS verification.');
}
