/** ImageRepository (`image.toolkit.fluxcd.io/v1`): a container image repository scanned for tags. */
import {
  accessFrom,
  ageColumn,
  conditions,
  interval,
  lastHandledReconcileAt,
  localObjectReference,
  observedGeneration,
  readyColumn,
  statusColumn,
  timeoutPattern,
} from '../common.ts';
import { array, boolean, integer, kind, object, string } from '../dsl.ts';
import { imageGroup } from './shared.ts';

export const imageRepository = kind({
  group: imageGroup,
  version: 'v1',
  kind: 'ImageRepository',
  plural: 'imagerepositories',
  shortNames: ['imgrepo', 'imagerepo'],
  categories: ['all', 'fluxcd', 'fluxcd-images'],
  scope: 'Namespaced',
  description: 'A container image repository that the image reflector controller scans at an interval, recording the tags it finds for ImagePolicies to choose from.',
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Tags', type: 'string', jsonPath: '.status.lastScanResult.tagCount' },
    readyColumn,
    statusColumn,
    { name: 'Last scan', type: 'string', jsonPath: '.status.lastScanResult.scanTime', priority: 1 },
    ageColumn,
  ],
  spec: object(
    'Which image to scan, how to authenticate to its registry and how often.',
    {
      accessFrom: accessFrom('Namespaces whose objects may refer to this ImageRepository; by default only its own namespace.'),
      certSecretRef: localObjectReference(
        'Secret with TLS material for the registry: a client certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt).',
      ),
      exclusionList: array('Regular expressions; tags matching any of them are not recorded. Defaults to excluding signature tags (.sig).', string(), {
        default: ['^.*\\.sig$'],
        maxItems: 25,
      }),
      image: string('Name of the image repository to scan, without tag, e.g. ghcr.io/org/app.'),
      insecure: boolean('Allow talking to the registry over plain HTTP instead of TLS.'),
      interval: interval('How often to scan the repository for tags.'),
      provider: string('Cloud provider whose identity authenticates to the registry; generic means credentials come from secretRef or the service account.', {
        enum: ['generic', 'aws', 'azure', 'gcp'],
        default: 'generic',
      }),
      proxySecretRef: localObjectReference('Secret with the address (and credentials) of an HTTP/S proxy for reaching the registry.'),
      secretRef: localObjectReference('Docker-registry Secret (.dockerconfigjson) with credentials for the registry.'),
      serviceAccountName: string('Kubernetes ServiceAccount whose image pull secrets authenticate to the registry.', { maxLength: 253 }),
      suspend: boolean('Stop scanning until set back to false; a scan already running is not interrupted.'),
      timeout: string('Time limit for one scan; defaults to the interval.', { pattern: timeoutPattern }),
    },
    { required: ['image', 'interval'] },
  ),
  status: object(
    'What the controller last observed while scanning.',
    {
      canonicalImageName: string('The image name with registry and path spelled out, e.g. docker.io/library/alpine for alpine.'),
      conditions,
      lastHandledReconcileAt,
      lastScanResult: object(
        'Summary of the last successful scan.',
        {
          latestTags: array('A sample of the most recent tags, in reverse alphabetical order.', string()),
          revision: string('Checksum of the scanned tag list; changes when the set of tags changes.'),
          scanTime: string('When the scan happened.', { format: 'date-time' }),
          tagCount: integer('How many tags were found.'),
        },
        { required: ['tagCount'], typeName: 'ImageRepositoryScanResult' },
      ),
      observedExclusionList: array('The exclusion list the last scan was done with.', string()),
      observedGeneration,
    },
    { default: { observedGeneration: -1 } },
  ),
});
