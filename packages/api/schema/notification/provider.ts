/** Provider (`notification.toolkit.fluxcd.io/v1beta3`): a destination that alerts are sent to. */
import { ageColumn, durationPattern, localObjectReference, timeoutPattern } from '../common.ts';
import { boolean, kind, object, string } from '../dsl.ts';
import { notificationGroup } from './shared.ts';

export const provider = kind({
  group: notificationGroup,
  version: 'v1beta3',
  kind: 'Provider',
  plural: 'providers',
  categories: ['all', 'fluxcd', 'fluxcd-notifications'],
  scope: 'Namespaced',
  description: 'A destination for notifications, such as a chat channel, a Git commit status or a webhook, that Alerts send events to.',
  printerColumns: [ageColumn],
  spec: object(
    'Which service to notify, where, and with which credentials.',
    {
      address: string('Where events are sent; an HTTP/S URL for most types, or e.g. a project or namespace for others.', {
        maxLength: 2048,
      }),
      certSecretRef: localObjectReference(
        'Secret with TLS material: ca.crt to trust the server, and/or tls.crt and tls.key for client authentication.',
      ),
      channel: string('Channel, room or topic the events are posted to.', { maxLength: 2048 }),
      commitStatusExpr: string(
        'CEL expression (over event, provider and alert) producing the commit status key; only for Git provider types.',
      ),
      interval: string('Unused in this API version; kept for compatibility.', { pattern: durationPattern }),
      proxy: string('Address of an HTTP/S proxy; deprecated in favour of proxySecretRef.', {
        pattern: '^(http|https)://.*$',
        maxLength: 2048,
      }),
      proxySecretRef: localObjectReference('Secret with the proxy address and, optionally, username and password.'),
      secretRef: localObjectReference('Secret with the credentials for the service, such as a token, address or password.'),
      serviceAccountName: string(
        'Kubernetes ServiceAccount whose workload identity authenticates to the cloud service (azureeventhub, azuredevops, googlepubsub).',
      ),
      suspend: boolean('Stop sending events through this Provider until set back to false.'),
      timeout: string('Time limit for delivering one event to the service.', { pattern: timeoutPattern }),
      type: string('The kind of service events are sent to.', {
        enum: [
          'slack',
          'discord',
          'msteams',
          'rocket',
          'generic',
          'generic-hmac',
          'github',
          'gitlab',
          'gitea',
          'bitbucketserver',
          'bitbucket',
          'azuredevops',
          'googlechat',
          'googlepubsub',
          'webex',
          'sentry',
          'azureeventhub',
          'telegram',
          'lark',
          'matrix',
          'opsgenie',
          'alertmanager',
          'grafana',
          'githubdispatch',
          'pagerduty',
          'datadog',
          'nats',
          'zulip',
          'otel',
          'githubpullrequestcomment',
          'gitlabmergerequestcomment',
          'giteapullrequestcomment',
        ],
      }),
      username: string('Name the events are posted under, where the service supports it.', { maxLength: 2048 }),
    },
    {
      required: ['type'],
      'x-kubernetes-validations': [
        {
          rule: "self.type == 'github' || self.type == 'gitlab' || self.type == 'gitea' || self.type == 'bitbucketserver' || self.type == 'bitbucket' || self.type == 'azuredevops' || !has(self.commitStatusExpr)",
          message: "spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops' provider types",
        },
      ],
    },
  ),
});
