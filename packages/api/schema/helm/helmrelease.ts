/** HelmRelease (`helm.toolkit.fluxcd.io/v2`): a Helm chart installed and kept up to date in a cluster. */
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
  suspend,
} from '../common.ts';
import { array, boolean, freeform, integer, kind, map, object, string, type SchemaNode } from '../dsl.ts';

/** A time limit for one Helm action, as a Go duration. */
function timeout(description: string): SchemaNode {
  return string(description, { pattern: durationPattern });
}

/** CRD handling policy of the install and upgrade actions. */
function crdPolicy(description: string): SchemaNode {
  return string(description, { enum: ['Skip', 'Create', 'CreateReplace'] });
}

/** Whether to use server-side apply for upgrade and rollback. */
function serverSideApplyMode(description: string): SchemaNode {
  return string(description, { enum: ['enabled', 'disabled', 'auto'] });
}

/** A retry policy of the install or upgrade action; `rule`/`message` differ between the two. */
function actionStrategy(action: 'install' | 'upgrade', typeName: string, validation: { rule: string; message: string }): SchemaNode {
  return object(
    `What to do when the ${action} fails: remediate (the default) or retry at an interval.`,
    {
      name: string(`Name of the ${action} strategy.`, { enum: ['RemediateOnFailure', 'RetryOnFailure'] }),
      retryInterval: string(`How long to wait before retrying a failed ${action} (RetryOnFailure only); defaults to 5m.`, {
        pattern: durationPattern,
      }),
    },
    { required: ['name'], typeName, 'x-kubernetes-validations': [validation] },
  );
}

const sourceReference: SchemaNode = object(
  'The source that holds the chart.',
  {
    apiVersion: string('API version of the source.'),
    kind: string('Kind of the source.', { enum: ['HelmRepository', 'GitRepository', 'Bucket'] }),
    name: string('Name of the source.', { minLength: 1, maxLength: 253 }),
    namespace: string('Namespace of the source; defaults to the HelmRelease\'s namespace.', { minLength: 1, maxLength: 63 }),
  },
  { required: ['kind', 'name'], typeName: 'HelmReleaseChartSourceReference' },
);

const chart: SchemaNode = object(
  'Template of the HelmChart the controller creates to fetch the chart.',
  {
    metadata: object(
      'Labels and annotations of the created HelmChart.',
      {
        annotations: map('Annotations set on the HelmChart.', string()),
        labels: map('Labels set on the HelmChart.', string()),
      },
      { typeName: 'HelmReleaseChartMetadata' },
    ),
    spec: object(
      'Which chart to fetch, from which source, and how.',
      {
        chart: string('Name of the chart in a Helm repository, or its path in a Git repository or bucket.', { minLength: 1, maxLength: 2048 }),
        ignoreMissingValuesFiles: boolean('Skip values files that do not exist instead of failing.'),
        interval: interval('How often to check the source for a new chart; defaults to the HelmRelease\'s interval.'),
        reconcileStrategy: string('What produces a new chart artifact: a new chart version, or any new source revision.', {
          enum: ['ChartVersion', 'Revision'],
          default: 'ChartVersion',
        }),
        sourceRef: sourceReference,
        valuesFiles: array(
          'Values files in the source to merge, in order, as the chart\'s values (values.yaml is not included unless listed).',
          string(),
        ),
        verify: object(
          'Check the signature of the OCI chart (OCI sources only; unbundled dependencies are not checked).',
          {
            provider: string('Signing technology the chart was signed with.', { enum: ['cosign', 'notation'], default: 'cosign' }),
            secretRef: localObjectReference('Secret holding the trusted public keys.'),
          },
          { required: ['provider'], typeName: 'HelmReleaseChartVerification' },
        ),
        version: string('Semantic-version range of the chart (ignored for Git and bucket sources); defaults to the latest.', {
          default: '*',
        }),
      },
      { required: ['chart', 'sourceRef'], typeName: 'HelmReleaseChartSpec' },
    ),
  },
  { required: ['spec'], typeName: 'HelmReleaseChartTemplate' },
);

const chartRef: SchemaNode = object(
  'A source object that already provides the chart as an artifact (instead of chart).',
  {
    apiVersion: string('API version of the referent.'),
    kind: string('Kind of the referent.', { enum: ['OCIRepository', 'HelmChart', 'ExternalArtifact'] }),
    name: string('Name of the referent.', { minLength: 1, maxLength: 253 }),
    namespace: string('Namespace of the referent; defaults to the HelmRelease\'s namespace.', { minLength: 1, maxLength: 63 }),
  },
  { required: ['kind', 'name'], typeName: 'HelmReleaseChartReference' },
);

const install: SchemaNode = object(
  'How the Helm install action runs.',
  {
    crds: crdPolicy('What to do with the chart\'s CRDs on install: Skip, Create (the default) or CreateReplace.'),
    createNamespace: boolean('Create the target namespace if it is missing (it is not removed on uninstall).'),
    disableHooks: boolean('Do not run the chart\'s hooks on install.'),
    disableOpenAPIValidation: boolean('Do not validate the rendered manifests against the Kubernetes OpenAPI schema.'),
    disableSchemaValidation: boolean('Do not validate the values against the chart\'s JSON schema.'),
    disableTakeOwnership: boolean('Do not take ownership of objects that already exist in the cluster.'),
    disableWait: boolean('Do not wait for the resources to become ready after installing.'),
    disableWaitForJobs: boolean('Do not wait for Jobs to complete after installing.'),
    remediation: object(
      'What to do when the install fails; nothing by default.',
      {
        ignoreTestFailures: boolean('Do not remediate when tests after the install fail; defaults to test.ignoreFailures.'),
        remediateLastFailure: boolean('Remediate the last failure too, once no retries are left; defaults to false.'),
        retries: integer('How many times to retry, uninstalling in between; 0 by default, negative for no limit.'),
      },
      { typeName: 'HelmReleaseInstallRemediation' },
    ),
    replace: boolean('Reuse the release name if it belongs to a deleted release still in the history.'),
    serverSideApply: boolean('Apply the resources server-side on install.'),
    skipCRDs: boolean('Do not install the chart\'s CRDs (deprecated: use crds: Skip).'),
    strategy: actionStrategy('install', 'HelmReleaseInstallStrategy', {
      rule: "!has(self.retryInterval) || self.name != 'RemediateOnFailure'",
      message: ".retryInterval cannot be set when .name is 'RemediateOnFailure'",
    }),
    timeout: timeout('Time limit for each Kubernetes operation of the install, such as hook Jobs; defaults to spec.timeout.'),
  },
  { typeName: 'HelmReleaseInstall' },
);

const postRenderer: SchemaNode = object(
  'One post-renderer applied to the rendered manifests.',
  {
    kustomize: object(
      'Kustomize patches and image overrides applied to the rendered manifests.',
      {
        images: array('Image name, tag or digest overrides.', kustomizeImage('Replaces the name, tag or digest of an image.')),
        patches: array(
          'Strategic-merge or JSON 6902 patches, each applied to the objects its target selects.',
          kustomizePatch('A patch and the objects it applies to.'),
        ),
      },
      { typeName: 'HelmReleaseKustomizePostRenderer' },
    ),
  },
  { typeName: 'HelmReleasePostRenderer' },
);

const rollback: SchemaNode = object(
  'How the Helm rollback action runs.',
  {
    cleanupOnFail: boolean('Delete resources created by a rollback that fails.'),
    disableHooks: boolean('Do not run the chart\'s hooks on rollback.'),
    disableWait: boolean('Do not wait for the resources to become ready after rolling back.'),
    disableWaitForJobs: boolean('Do not wait for Jobs to complete after rolling back.'),
    force: boolean('Replace resources instead of merging them (client-side apply only).'),
    recreate: boolean('Restart the pods of the workloads (deprecated and no longer functional).'),
    serverSideApply: serverSideApplyMode('Apply resources server-side on rollback; auto (the default) follows the release\'s earlier choice.'),
    timeout: timeout('Time limit for each Kubernetes operation of the rollback; defaults to spec.timeout.'),
  },
  { typeName: 'HelmReleaseRollback' },
);

const test: SchemaNode = object(
  'How the Helm test action runs.',
  {
    enable: boolean('Run the chart\'s tests after each install or upgrade.'),
    filters: array(
      'Tests to run or to skip.',
      object(
        'Selects one test by name.',
        {
          exclude: boolean('Skip this test instead of running it.'),
          name: string('Name of the test.', { minLength: 1, maxLength: 253 }),
        },
        { required: ['name'], typeName: 'HelmReleaseTestFilter' },
      ),
    ),
    ignoreFailures: boolean('Do not remediate when tests fail; install and upgrade remediation can override it.'),
    timeout: timeout('Time limit for each Kubernetes operation of the tests; defaults to spec.timeout.'),
  },
  { typeName: 'HelmReleaseTest' },
);

const uninstall: SchemaNode = object(
  'How the Helm uninstall action runs.',
  {
    deletionPropagation: string('How dependent objects are deleted on uninstall.', {
      enum: ['background', 'foreground', 'orphan'],
      default: 'background',
    }),
    disableHooks: boolean('Do not run the chart\'s hooks on uninstall.'),
    disableWait: boolean('Do not wait for the resources to be deleted after uninstalling.'),
    keepHistory: boolean('Keep the release history, marking the release deleted.'),
    timeout: timeout('Time limit for each Kubernetes operation of the uninstall; defaults to spec.timeout.'),
  },
  { typeName: 'HelmReleaseUninstall' },
);

const upgrade: SchemaNode = object(
  'How the Helm upgrade action runs.',
  {
    chartNameChangeStrategy: string('What to do when the chart name changes: Reinstall (the default) or update in place.', {
      enum: ['InPlaceUpdate', 'Reinstall'],
    }),
    cleanupOnFail: boolean('Delete resources created by an upgrade that fails.'),
    crds: crdPolicy('What to do with the chart\'s CRDs on upgrade: Skip (the default), Create or CreateReplace.'),
    disableHooks: boolean('Do not run the chart\'s hooks on upgrade.'),
    disableOpenAPIValidation: boolean('Do not validate the rendered manifests against the Kubernetes OpenAPI schema.'),
    disableSchemaValidation: boolean('Do not validate the values against the chart\'s JSON schema.'),
    disableTakeOwnership: boolean('Do not take ownership of objects that already exist in the cluster.'),
    disableWait: boolean('Do not wait for the resources to become ready after upgrading.'),
    disableWaitForJobs: boolean('Do not wait for Jobs to complete after upgrading.'),
    force: boolean('Replace resources instead of merging them (client-side apply only).'),
    preserveValues: boolean('Reuse the last release\'s values and merge the new ones over them (not declarative).'),
    remediation: object(
      'What to do when the upgrade fails; nothing by default.',
      {
        ignoreTestFailures: boolean('Do not remediate when tests after the upgrade fail; defaults to test.ignoreFailures.'),
        remediateLastFailure: boolean('Remediate the last failure too, once no retries are left; defaults to true when retries > 0.'),
        retries: integer('How many times to retry, remediating in between; 0 by default, negative for no limit.'),
        strategy: string('How to remediate: roll back (the default) or uninstall.', { enum: ['rollback', 'uninstall'] }),
      },
      { typeName: 'HelmReleaseUpgradeRemediation' },
    ),
    serverSideApply: serverSideApplyMode('Apply resources server-side on upgrade; auto (the default) follows the release\'s earlier choice.'),
    strategy: actionStrategy('upgrade', 'HelmReleaseUpgradeStrategy', {
      rule: "!has(self.retryInterval) || self.name == 'RetryOnFailure'",
      message: ".retryInterval can only be set when .name is 'RetryOnFailure'",
    }),
    timeout: timeout('Time limit for each Kubernetes operation of the upgrade, such as hook Jobs; defaults to spec.timeout.'),
  },
  { typeName: 'HelmReleaseUpgrade' },
);

const valuesReference: SchemaNode = object(
  'A ConfigMap or Secret key whose content is merged into the values.',
  {
    kind: string('Kind of the object holding the values.', { enum: ['Secret', 'ConfigMap'] }),
    literal: boolean('With targetPath, set the value as is, without interpreting --set syntax (like helm --set-literal).'),
    name: string('Name of the object, in the HelmRelease\'s namespace.', { minLength: 1, maxLength: 253 }),
    optional: boolean('Ignore the reference when the object does not exist.'),
    targetPath: string('Dotted values path to set the single value at; when unset, the content is merged at the root.', {
      pattern: '^([a-zA-Z0-9_\\-.\\\\\\/]|\\[[0-9]{1,5}\\])+$',
      maxLength: 250,
    }),
    valuesKey: string('Key of the object holding the values; defaults to values.yaml.', {
      pattern: '^[\\-._a-zA-Z0-9]+$',
      maxLength: 253,
    }),
  },
  { required: ['kind', 'name'], typeName: 'HelmReleaseValuesReference' },
);

const snapshot: SchemaNode = object(
  'A copy of the state of one Helm release revision.',
  {
    action: string('The action that produced this entry.'),
    apiVersion: string('Version of the snapshot format, which decides how digest is computed.'),
    appVersion: string('App version of the chart.'),
    chartName: string('Name of the chart.'),
    chartVersion: string('Version of the chart.'),
    configDigest: string('Digest of the release\'s values, as <algorithm>:<checksum>.'),
    deleted: string('When the release was deleted.', { format: 'date-time' }),
    digest: string('Digest of the release object in storage, as <algorithm>:<checksum>.'),
    firstDeployed: string('When the release was first deployed.', { format: 'date-time' }),
    lastDeployed: string('When the release was last deployed.', { format: 'date-time' }),
    name: string('Name of the release.'),
    namespace: string('Namespace the release is deployed to.'),
    ociDigest: string('Digest of the OCI artifact the chart came from.'),
    status: string('Helm status of the release, e.g. deployed or failed.'),
    testHooks: map(
      'The test hooks of the release the controller saw run, by name.',
      object(
        'What the controller saw of one test hook.',
        {
          lastCompleted: string('When the test hook last completed.', { format: 'date-time' }),
          lastStarted: string('When the test hook last started.', { format: 'date-time' }),
          phase: string('Phase the test hook was last seen in.'),
        },
        { typeName: 'HelmReleaseTestHookStatus' },
      ),
    ),
    version: integer('Revision number of the release.'),
  },
  {
    required: ['chartName', 'chartVersion', 'configDigest', 'digest', 'firstDeployed', 'lastDeployed', 'name', 'namespace', 'status', 'version'],
    typeName: 'HelmReleaseSnapshot',
  },
);

export const helmRelease = kind({
  group: 'helm.toolkit.fluxcd.io',
  version: 'v2',
  kind: 'HelmRelease',
  plural: 'helmreleases',
  shortNames: ['hr'],
  categories: ['all', 'fluxcd', 'fluxcd-appliers'],
  scope: 'Namespaced',
  description:
    'A Helm chart release that the helm controller installs, upgrades, tests and, on failure, remediates, keeping it in line with the chart and values given.',
  printerColumns: readyColumns,
  spec: object(
    'Which chart to release, with which values, where, and how each Helm action runs.',
    {
      chart,
      chartRef,
      commonMetadata: commonMetadata('Labels and annotations added to every object of the release, replacing existing ones with the same key.'),
      dependsOn: array('HelmReleases that must be ready before this one is reconciled.', dependencyReference('Another HelmRelease that must be ready first.')),
      driftDetection: object(
        'Detect (and optionally correct) changes made in the cluster to the objects of the release.',
        {
          ignore: array('Rules for changes to ignore when comparing.', ignoreRule('Changes to leave out of drift detection.')),
          mode: string('enabled corrects drift, warn only reports it, disabled (the default) does not check.', {
            enum: ['enabled', 'warn', 'disabled'],
          }),
        },
        { typeName: 'HelmReleaseDriftDetection' },
      ),
      healthCheckExprs: array(
        'CEL health checks for custom resources, used when waiting with the poller strategy.',
        customHealthCheck('CEL expressions that decide the health of a custom resource kind.'),
      ),
      install,
      interval: interval('How often to reconcile the release.'),
      kubeConfig: kubeConfigReference(
        'Reconcile the release on a remote cluster, reached with a kubeconfig Secret or cloud-provider settings in a ConfigMap (exactly one).',
      ),
      maxHistory: integer('How many release revisions Helm keeps; defaults to 5, 0 means no limit.'),
      persistentClient: boolean('Reuse one Kubernetes client for the whole reconciliation instead of one per Helm action; defaults to true.'),
      postRenderStrategy: string('Which manifests the post-renderers see: nohooks, combined (the default) or separate streams for hooks and templates.', {
        enum: ['nohooks', 'combined', 'separate'],
      }),
      postRenderers: array('Post-renderers applied in order to the rendered manifests.', postRenderer),
      releaseName: string('Name of the Helm release; defaults to [<targetNamespace>-]<name>.', { minLength: 1, maxLength: 53 }),
      rollback,
      serviceAccountName: string('Kubernetes ServiceAccount to impersonate when applying the release.', { minLength: 1, maxLength: 253 }),
      storageNamespace: string('Namespace where Helm stores the release; defaults to the HelmRelease\'s namespace.', {
        minLength: 1,
        maxLength: 63,
      }),
      suspend,
      targetNamespace: string('Namespace the release is installed into; defaults to the HelmRelease\'s namespace.', {
        minLength: 1,
        maxLength: 63,
      }),
      test,
      timeout: timeout('Time limit for each Kubernetes operation of a Helm action, such as hook Jobs; defaults to 5m0s.'),
      uninstall,
      upgrade,
      values: freeform('Values passed to the chart, merged over those from valuesFrom.'),
      valuesFrom: array('ConfigMaps and Secrets to read values from, merged in order.', valuesReference),
      waitStrategy: object(
        'How Helm waits for the applied resources to become ready.',
        {
          name: string('poller (the default) polls resource status with kstatus; legacy uses Helm 3\'s waiting.', {
            enum: ['poller', 'legacy'],
          }),
        },
        { required: ['name'], typeName: 'HelmReleaseWaitStrategy' },
      ),
    },
    {
      required: ['interval'],
      'x-kubernetes-validations': [
        {
          rule: '(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))',
          message: 'either chart or chartRef must be set',
        },
      ],
    },
  ),
  status: object(
    'What the controller last observed and did.',
    {
      conditions,
      failures: integer('Failed reconciliations since the desired state last changed; reset on success.', { format: 'int64' }),
      helmChart: string('<namespace>/<name> of the HelmChart the controller created for this release.'),
      history: array('The Helm releases performed, back to the last successful one.', snapshot),
      installFailures: integer('Failed installs since the desired state last changed; reset on success.', { format: 'int64' }),
      inventory: resourceInventory('The Kubernetes objects the release applied.'),
      lastAttemptedConfigDigest: string('Digest of the values of the last attempt.'),
      lastAttemptedGeneration: integer('The metadata.generation of the last attempt.', { format: 'int64' }),
      lastAttemptedReleaseAction: string('The last release action attempted, which decides the retry or remediation strategy in effect.', {
        enum: ['install', 'upgrade'],
      }),
      lastAttemptedReleaseActionDuration: string('How long the last release action took.'),
      lastAttemptedRevision: string('Source revision of the last attempt (for OCI sources, the chart version with a digest suffix).'),
      lastAttemptedRevisionDigest: string('Digest of the source revision of the last attempt (OCI sources only).'),
      lastAttemptedValuesChecksum: string('SHA1 checksum of the values of the last attempt (deprecated: see lastAttemptedConfigDigest).'),
      lastHandledForceAt: string('The value of the reconcile.fluxcd.io/forceAt annotation the controller last handled.'),
      lastHandledReconcileAt,
      lastHandledResetAt: string('The value of the reconcile.fluxcd.io/resetAt annotation the controller last handled.'),
      lastReleaseRevision: integer('Revision of the last successful Helm release (deprecated: see history).'),
      observedCommonMetadataDigest: string('Digest of commonMetadata at the last successful reconciliation.'),
      observedGeneration,
      observedPostRenderersDigest: string('Digest of postRenderers at the last successful reconciliation.'),
      storageNamespace: string('Namespace where Helm stores the current release.', { minLength: 1, maxLength: 63 }),
      upgradeFailures: integer('Failed upgrades since the desired state last changed; reset on success.', { format: 'int64' }),
    },
    { default: { observedGeneration: -1 } },
  ),
});
