/** Alert (`notification.toolkit.fluxcd.io/v1beta3`): which events to forward to a Provider. */
import { ageColumn, localObjectReference } from '../common.ts';
import { array, boolean, kind, map, object, string } from '../dsl.ts';
import { crossNamespaceObjectReferenceFields, notificationGroup } from './shared.ts';

const eventSource = object(
  'Objects whose events the Alert forwards, by kind, name (or * for all) and namespace.',
  crossNamespaceObjectReferenceFields('Alert'),
  { required: ['kind', 'name'], typeName: 'AlertEventSource' },
);

export const alert = kind({
  group: notificationGroup,
  version: 'v1beta3',
  kind: 'Alert',
  plural: 'alerts',
  categories: ['all', 'fluxcd', 'fluxcd-notifications'],
  scope: 'Namespaced',
  description: 'A rule that selects events from Flux objects by source, severity and message and sends them to a Provider.',
  printerColumns: [ageColumn],
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
