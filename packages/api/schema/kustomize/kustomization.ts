/** Kustomization (`kustomize.toolkit.fluxcd.io/v1`): a kustomize overlay from a source, built and applied to a cluster. */
import {
  commonMetadata,
  conditions,
  customHealthCheck,
  dependencyReference,
  durationPattern,
  ignoreRule,
  interval,
  kubeConfigReference,
  kustomizeImage,
  kustomizePatch,
  lastHandledReconcileAt,
  localObjectReference,
  observedGeneration,
  readyColumns,
  resourceInventory,
} from '../common.ts';
import { array, boolean, integer, kind, map, object, string } from '../dsl.ts';

export const kustomization = kind({
  group: 'kustomize.toolkit.fluxcd.io',
  version: 'v1',
  kind: 'Kustomization',
  plural: 'kustomizations',
  shortNames: ['ks'],
  categories: ['all', 'fluxcd', 'fluxcd-appliers'],
  scope: 'Namespaced',
  description:
    'A set of manifests from a source artifact that the kustomize controller builds with kustomize and applies to a cluster, pruning and health-checking what it manages.',
  printerColumns: readyColumns,
  spec: object(
    'Which source and path to build, how to transform the result, and how to apply it.',
    {
      buildMetadata: array(
        'Kustomize build annotations to add to the objects: their origin, the transformers that changed them, or both.',
        string(undefined, { enum: ['originAnnotations', 'transformerAnnotations'] }),
      ),
      commonMetadata: commonMetadata('Labels and annotations set on every applied object, overriding existing ones with the same key.'),
      components: array('Paths of kustomize Components to include, relative to the path.', string()),
      decryption: object(
        'Decrypt SOPS-encrypted Secrets before they are applied.',
        {
          provider: string('Decryption engine to use.', { enum: ['sops'] }),
          secretRef: localObjectReference(
            'Secret holding the decryption keys (OpenPGP, age) or cloud KMS credentials; these take precedence over serviceAccountName.',
          ),
          serviceAccountName: string('ServiceAccount whose workload identity authenticates to cloud KMS services.'),
        },
        { required: ['provider'], typeName: 'KustomizationDecryption' },
      ),
      deletionPolicy: string(
        'What happens to the applied objects when this Kustomization is deleted; MirrorPrune (the default) deletes them only if prune is true.',
        { enum: ['MirrorPrune', 'Delete', 'WaitForTermination', 'Orphan'] },
      ),
      dependsOn: array('Kustomizations that must be ready before this one is reconciled.', dependencyReference('A Kustomization this one depends on.')),
      force: boolean('Recreate objects whose patch fails because an immutable field changed.', { default: false }),
      healthCheckExprs: array(
        'CEL expressions that assess the health of custom resources; used only when wait or healthChecks is set.',
        customHealthCheck('How to tell the health of one kind of custom resource.'),
      ),
      healthChecks: array(
        'Objects whose health is checked after applying.',
        object(
          'An object to check, in any namespace.',
          {
            apiVersion: string('API version of the object; defaults to the preferred version of its kind.'),
            kind: string('Kind of the object.'),
            name: string('Name of the object.'),
            namespace: string('Namespace of the object; defaults to this object\'s namespace.'),
          },
          { required: ['kind', 'name'], typeName: 'KustomizationHealthCheckReference' },
        ),
      ),
      ignore: array(
        'Fields of applied objects that drift detection and apply leave alone.',
        ignoreRule('JSON pointer paths to ignore on the selected objects.'),
      ),
      ignoreMissingComponents: boolean('Skip components whose path does not exist in the source instead of failing the build.'),
      images: array('Image name, tag or digest replacements applied to the objects.', kustomizeImage('A replacement for one image.')),
      interval: interval('How often to reconcile the Kustomization (approximately, with jitter).'),
      kubeConfig: kubeConfigReference(
        'Apply to a remote cluster, reached with a kubeconfig Secret or cloud-provider settings in a ConfigMap (exactly one).',
      ),
      namePrefix: string('Prefix added to the names of all objects.', { minLength: 1, maxLength: 200 }),
      nameSuffix: string('Suffix added to the names of all objects.', { minLength: 1, maxLength: 200 }),
      patches: array(
        'Strategic-merge or JSON 6902 patches applied to the selected objects.',
        kustomizePatch('An inline patch and the objects it applies to.'),
      ),
      path: string('Folder in the source with the kustomization.yaml or plain manifests; defaults to the source root.'),
      postBuild: object(
        'Variable substitution performed on the manifests after kustomize build.',
        {
          substitute: map('Variables and their values, used in ${var} expressions (bash-style defaults and replacements work).', string()),
          substituteFrom: array(
            'ConfigMaps and Secrets whose data keys and values are used as variables.',
            object(
              'A ConfigMap or Secret with variables.',
              {
                kind: string('Kind of the object: Secret or ConfigMap.', { enum: ['Secret', 'ConfigMap'] }),
                name: string('Name of the object, in this object\'s namespace.', { minLength: 1, maxLength: 253 }),
                optional: boolean('Treat a missing object as empty instead of failing.', { default: false }),
              },
              { required: ['kind', 'name'], typeName: 'KustomizationSubstituteReference' },
            ),
          ),
          substituteStrategy: string(
            'WithVariables (the default) substitutes only when at least one variable is defined; Always substitutes regardless.',
            { enum: ['WithVariables', 'Always'] },
          ),
        },
        { typeName: 'KustomizationPostBuild' },
      ),
      prune: boolean('Delete objects that were applied before but are no longer in the build.'),
      retryInterval: string('How often to retry after a failed reconciliation; defaults to interval.', { pattern: durationPattern }),
      serviceAccountName: string('ServiceAccount to impersonate when applying.'),
      sourceRef: object(
        'The source whose artifact holds the manifests.',
        {
          apiVersion: string('API version of the source.'),
          kind: string('Kind of the source.', { enum: ['OCIRepository', 'GitRepository', 'Bucket', 'ExternalArtifact'] }),
          name: string('Name of the source.'),
          namespace: string('Namespace of the source; defaults to this object\'s namespace.'),
        },
        { required: ['kind', 'name'], typeName: 'KustomizationSourceReference' },
      ),
      suspend: boolean('Stop reconciling this object until set back to false; a reconciliation already running finishes.'),
      targetNamespace: string('Namespace set on all namespaced objects, overriding the one in kustomization.yaml.', {
        minLength: 1,
        maxLength: 63,
      }),
      timeout: string('Time limit for building, applying and health checking; defaults to interval.', { pattern: durationPattern }),
      wait: boolean('Wait for all applied objects to become healthy; healthChecks is then ignored.'),
    },
    { required: ['interval', 'prune', 'sourceRef'] },
  ),
  status: object(
    'What the controller last observed and applied.',
    {
      conditions,
      history: array(
        'Records of the latest reconciliations: revision digest, timing and outcome.',
        object(
          'One recorded reconciliation of a set of objects.',
          {
            digest: string('Checksum of the applied objects, as <algorithm>:<hex>.'),
            firstReconciled: string('When this digest was first applied.', { format: 'date-time' }),
            lastReconciled: string('When this digest was last applied.', { format: 'date-time' }),
            lastReconciledDuration: string('How long the last reconciliation of this digest took.'),
            lastReconciledStatus: string('Outcome of the last reconciliation of this digest.'),
            metadata: map('Extra information about the record, such as the source revision.', string()),
            totalReconciliations: integer('How many times this digest was reconciled.', { format: 'int64' }),
          },
          {
            required: ['digest', 'firstReconciled', 'lastReconciled', 'lastReconciledDuration', 'lastReconciledStatus', 'totalReconciliations'],
            typeName: 'KustomizationSnapshot',
          },
        ),
      ),
      inventory: resourceInventory('The objects applied successfully, used for pruning.'),
      lastAppliedOriginRevision: string('Origin revision (e.g. the commit behind an OCI artifact) of the last applied artifact.'),
      lastAppliedRevision: string('Revision of the last artifact applied successfully.'),
      lastAttemptedRevision: string('Revision of the last artifact a reconciliation was attempted with.'),
      lastHandledReconcileAt,
      observedGeneration,
    },
    { default: { observedGeneration: -1 } },
  ),
});
