/** HelmRepository (`source.toolkit.fluxcd.io/v1`): a Helm chart repository whose index is turned into an artifact. */
import {
  accessFrom,
  artifact,
  conditions,
  interval,
  lastHandledReconcileAt,
  localObjectReference,
  observedGeneration,
  readyColumns,
  suspend,
  timeoutPattern,
} from '../common.ts';
import { boolean, kind, object, string } from '../dsl.ts';
import { sourceGroup } from './shared.ts';

export const helmRepository = kind({
  group: sourceGroup,
  version: 'v1',
  kind: 'HelmRepository',
  plural: 'helmrepositories',
  shortNames: ['helmrepo'],
  categories: ['all', 'fluxcd', 'fluxcd-sources'],
  scope: 'Namespaced',
  description:
    'A Helm chart repository: for HTTP/S repositories the source controller fetches the index into an artifact; OCI registries are only referenced by HelmCharts.',
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.spec.url' }, ...readyColumns],
  spec: object(
    'Where the repository is, how to authenticate to it and how often to refresh it.',
    {
      accessFrom: accessFrom('Which namespaces may reference this object from elsewhere (provisional, not enforced yet).'),
      certSecretRef: localObjectReference(
        'Secret (Opaque or kubernetes.io/tls) with a client certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt) for TLS; wins over TLS data in secretRef.',
      ),
      insecure: boolean('Allow plain-HTTP connections to the registry (OCI repositories only).'),
      interval: interval('How often to fetch the repository index for updates.'),
      passCredentials: boolean(
        'Also send the secretRef credentials to hosts other than the URL\'s, e.g. when charts are served from another domain; use with care.',
      ),
      provider: string('Provider used to authenticate to the registry when secretRef is not set (OCI repositories only); generic means none.', {
        enum: ['generic', 'aws', 'azure', 'gcp'],
        default: 'generic',
      }),
      secretRef: localObjectReference(
        'Secret with the credentials, e.g. username and password for basic auth (TLS keys here are deprecated, use certSecretRef).',
      ),
      suspend,
      timeout: string('Time limit for fetching the index, or for OCI operations of the HelmCharts using it; 60s when unset.', {
        pattern: timeoutPattern,
      }),
      type: string('Kind of repository: default (HTTP/S index) or oci (the URL must then start with oci://).', { enum: ['default', 'oci'] }),
      url: string('Repository address, over http, https or oci.', { pattern: '^(http|https|oci)://.*$' }),
    },
    { required: ['url'] },
  ),
  status: object(
    'What the controller last observed and produced.',
    {
      artifact: artifact('The index artifact produced by the last successful reconciliation.'),
      conditions,
      lastHandledReconcileAt,
      observedGeneration,
      url: string('A stable address that always serves the latest artifact (best effort; prefer artifact.url).'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
