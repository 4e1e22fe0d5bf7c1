/** source-controller's flags: the runtime's common ones plus artifact storage, as Flux names them. */
import { runtimeFlags } from '@eddy/runtime';

/** The flag set of source-controller (`--concurrent` defaults to 2 here, as in Flux). */
export function sourceControllerFlags(env: { runtimeNamespace: string; hostname: string }) {
  return runtimeFlags({ concurrent: 2, runtimeNamespace: env.runtimeNamespace })
    .string('storage-path', '/data', 'Folder where artifacts are kept.')
    .string('storage-addr', ':9090', 'Listen address of the artifact HTTP server.')
    .string(
      'storage-adv-addr',
      env.runtimeNamespace ? `source-controller.${env.runtimeNamespace}.svc.cluster.local.` : env.hostname,
      'Address consumers download artifacts from (host[:port], or a URL); put into status.artifact.url.',
    )
    .duration('artifact-retention-ttl', '60s', 'How long an artifact that is no longer the latest is kept.')
    .int('artifact-retention-records', 2, 'How many artifacts of each object are kept, the latest included.', { min: 1 });
}
