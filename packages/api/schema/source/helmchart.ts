/** HelmChart (`source.toolkit.fluxcd.io/v1`): a Helm chart taken from a source and packaged into an artifact. */
import { artifact, conditions, interval, lastHandledReconcileAt, observedGeneration, readyColumns, suspend } from '../common.ts';
import { array, boolean, kind, object, string } from '../dsl.ts';
import { ociVerification, sourceGroup } from './shared.ts';

export const helmChart = kind({
  group: sourceGroup,
  version: 'v1',
  kind: 'HelmChart',
  plural: 'helmcharts',
  shortNames: ['hc'],
  categories: ['all', 'fluxcd', 'fluxcd-sources'],
  scope: 'Namespaced',
  description:
    'A Helm chart that the source controller pulls from a HelmRepository, or builds from a GitRepository or Bucket, and packages into a versioned artifact.',
  printerColumns: [
    { name: 'Chart', type: 'string', jsonPath: '.spec.chart' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version' },
    { name: 'Source Kind', type: 'string', jsonPath: '.spec.sourceRef.kind' },
    { name: 'Source Name', type: 'string', jsonPath: '.spec.sourceRef.name' },
    ...readyColumns,
  ],
  spec: object(
    'Which chart to take from which source, which version and values files, and how often to check.',
    {
      chart: string('Name of the chart in a HelmRepository, or its path in a GitRepository or Bucket.'),
      ignoreMissingValuesFiles: boolean('Skip values files that do not exist instead of failing.'),
      interval: interval('How often to check the source for a new chart.'),
      reconcileStrategy: string(
        'What triggers a new artifact: a new chart version (ChartVersion) or a new source revision (Revision).',
        { enum: ['ChartVersion', 'Revision'], default: 'ChartVersion' },
      ),
      sourceRef: object(
        'The source the chart comes from, in the same namespace.',
        {
          apiVersion: string('API version of the source.'),
          kind: string('Kind of the source.', { enum: ['HelmRepository', 'GitRepository', 'Bucket'] }),
          name: string('Name of the source.'),
        },
        { required: ['kind', 'name'], typeName: 'HelmChartSourceReference' },
      ),
      suspend,
      valuesFiles: array(
        'Values files (paths in the source) merged in order, later ones winning, to replace the chart\'s default values.',
        string(),
      ),
      verify: ociVerification(
        'Check the signature of an OCI chart before using it (HelmRepository of type oci only; unbundled dependencies are not checked).',
        { trustedRoot: false },
      ),
      version: string('Semantic-version range of the chart to use, for HelmRepository sources only; the latest version when unset.', {
        default: '*',
      }),
    },
    {
      required: ['chart', 'interval', 'sourceRef'],
      'x-kubernetes-validations': [
        {
          rule: "!has(self.verify) || self.sourceRef.kind == 'HelmRepository'",
          message: "spec.verify is only supported when spec.sourceRef.kind is 'HelmRepository'",
        },
      ],
    },
  ),
  status: object(
    'What the controller last observed and produced.',
    {
      artifact: artifact('The packaged chart produced by the last successful reconciliation.'),
      conditions,
      lastHandledReconcileAt,
      observedChartName: string('The chart name resolved from the chart reference at the last reconciliation.'),
      observedGeneration,
      observedSourceArtifactRevision: string('Revision of the source artifact the chart was last built from.'),
      observedValuesFiles: array('The values files used for the last successfully built chart.', string()),
      url: string('A stable address that always serves the latest artifact (best effort; prefer artifact.url).'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
