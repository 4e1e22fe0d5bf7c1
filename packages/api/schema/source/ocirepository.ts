/** OCIRepository (`source.toolkit.fluxcd.io/v1`): an OCI artifact in a container registry turned into an artifact. */
import {
  ageColumn,
  artifact,
  conditions,
  interval,
  lastHandledReconcileAt,
  localObjectReference,
  observedGeneration,
  readyColumn,
  statusColumn,
  suspend,
  timeoutPattern,
} from '../common.ts';
import { boolean, kind, object, string, type SchemaNode } from '../dsl.ts';
import { ignore, observedIgnore, ociVerification, proxySecretRef, sourceGroup } from './shared.ts';

/** Which layer of the OCI artifact to use, and what to do with it. */
function layerSelector(description: string): SchemaNode {
  return object(
    description,
    {
      mediaType: string('Media type of the layer to use; the first layer with this type is selected.'),
      operation: string('extract (the default) unpacks the layer into the artifact; copy stores the compressed layer as is.', {
        enum: ['extract', 'copy'],
      }),
    },
    { typeName: 'OCILayerSelector', typeDoc: 'Which layer of an OCI artifact to use, and whether to extract or copy it.' },
  );
}

export const ociRepository = kind({
  group: sourceGroup,
  version: 'v1',
  kind: 'OCIRepository',
  plural: 'ocirepositories',
  shortNames: ['ocirepo'],
  categories: ['all', 'fluxcd', 'fluxcd-sources'],
  scope: 'Namespaced',
  description: 'An OCI artifact in a container registry that the source controller pulls at a reference and stores as a versioned artifact.',
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.spec.url' }, readyColumn, statusColumn, ageColumn],
  spec: object(
    'Which OCI artifact to pull, how to authenticate and verify it, and how often to check it.',
    {
      certSecretRef: localObjectReference(
        'Secret with TLS material for the registry: a client certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt).',
      ),
      ignore,
      insecure: boolean('Allow talking to the registry over plain HTTP, without TLS.'),
      interval: interval('How often to check the registry for a new revision.'),
      layerSelector: layerSelector('Which layer of the OCI artifact to use; defaults to the first layer.'),
      provider: string('Cloud provider whose workload identity authenticates to the registry; generic (the default) uses secretRef only.', {
        enum: ['generic', 'aws', 'azure', 'gcp'],
        default: 'generic',
      }),
      proxySecretRef,
      ref: object(
        'The OCI reference to pull; digest wins over semver, semver over tag, and the latest tag is used when none is set.',
        {
          digest: string('Exact image digest to pull, as sha256:<hex>.'),
          semver: string('Semantic-version range; the highest matching tag is pulled.'),
          semverFilter: string('Regular expression that tags must match to be considered for the semver range.'),
          tag: string('Tag to pull; defaults to latest.'),
        },
        { typeName: 'OCIRepositoryRef' },
      ),
      secretRef: localObjectReference('Secret of type kubernetes.io/dockerconfigjson with the registry login credentials.'),
      serviceAccountName: string('Kubernetes ServiceAccount whose image pull secrets are used to authenticate to the registry.'),
      suspend,
      timeout: string('Time limit for registry operations such as pulling.', { default: '60s', pattern: timeoutPattern }),
      url: string('Address of the OCI repository, starting with oci://.', { pattern: '^oci://.*$' }),
      verify: ociVerification('Check the signature of the OCI artifact before using it.', { trustedRoot: true }),
    },
    { required: ['interval', 'url'] },
  ),
  status: object(
    'What the controller last observed and produced.',
    {
      artifact: artifact('The artifact produced from the last successful reconciliation.'),
      conditions,
      lastHandledReconcileAt,
      observedGeneration,
      observedIgnore,
      observedLayerSelector: layerSelector('The layer selector the artifact was built with.'),
      url: string('Download address of the latest artifact.'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
