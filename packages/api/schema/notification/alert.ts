/** Alert (`notification.toolkit.fluxcd.io/v1beta3`): which events to forward to a Provider. */
import { localObjectReference } from '../common.ts';
import { array, boolean, kind, map, object, string } from '../dsl.ts';

const eventSource = object(
  'Objects whose events the Alert forwards, by kind, name (or * for all) and namespace.',
  {
    apiVersion: string('API version of the objects; defaults to the one the controller knows for the kind.'),
    kind: string('Kind of the objects.', {
      enum: [
        'Bucket',
        'GitRepository',
        'Kustomization',
        'HelmRelease',
        'HelmChart',
        'HelmRepository',
        'ImageRepository',
        'ImagePolicy',
        'ImageUpdateAutomation',
        'OCIRepository',
        'ArtifactGenerator',
        'ExternalArtifact',
      ],
    }),
    matchLabels: map('Only objects carrying all these labels; requires name to be *.', string()),
    name: string('Name of the object, or * for every object of the kind.', { minLength: 1, maxLength: 253 }),
    namespace: string('Namespace of the objects; defaults to the Alert\'s namespace.', { minLength: 1, maxLength: 253 }),
  },
  { required: ['kind', 'name'], typeName: 'AlertEventSource' },
);

export const alert = kind({
  group: 'notification.toolkit.fluxcd.io',
  version: 'v1beta3',
  kind: 'Alert',
  plural: 'alerts',
  categories: ['all', 'fluxcd', 'fluxcd-notifications'],
  scope: 'Namespaced',
  description: 'A rule that selects events from Flux objects by source, severity and message and sends them to a Provider.',
  printerColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
  spec: object(
    'Which events to select and which Provider to send them to.',
    {
      eventMetadata: map(
        'Extra metadata added to every forwarded event; keys already set by the emitter keep their original value.',
        string(),
      ),
      eventSeverity: string('Lowest severity forwarded: info forwards everything, error only errors.', {
        enum: ['info', 'error'],
        default: 'info',
      }),
      eventSources: array('The objects whose events are forwarded.', eventSource),
      exclusionList: array('Go regular expressions; events whose message matches any of them are dropped.', string()),
      inclusionList: array('Go regular expressions; when set, only events whose message matches one of them are forwarded.', string()),
      providerRef: localObjectReference('The Provider, in the same namespace, that events are sent to.'),
      summary: string('Short text about the impact and the cluster, added to events; deprecated in favour of eventMetadata.', {
        maxLength: 255,
      }),
      suspend: boolean('Stop forwarding events for this Alert until set back to false.'),
    },
    { required: ['eventSources', 'providerRef'] },
  ),
});
