/** Bucket (`source.toolkit.fluxcd.io/v1`): an object storage bucket turned into an artifact. */
import {
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
import { ignore, observedIgnore, proxySecretRef, sourceGroup } from './shared.ts';

export const bucket = kind({
  group: sourceGroup,
  version: 'v1',
  kind: 'Bucket',
  plural: 'buckets',
  categories: ['all', 'fluxcd', 'fluxcd-sources'],
  scope: 'Namespaced',
  description: 'An object storage bucket (S3-compatible, AWS, GCP or Azure) whose files the source controller downloads into a versioned artifact.',
  printerColumns: [{ name: 'Endpoint', type: 'string', jsonPath: '.spec.endpoint' }, ...readyColumns],
  spec: object(
    'Which bucket to fetch, how to authenticate, and how often to check it.',
    {
      bucketName: string('Name of the bucket.'),
      certSecretRef: localObjectReference(
        'Secret with TLS material for the endpoint: a client certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt); generic provider only.',
      ),
      endpoint: string('Address of the object storage service holding the bucket.'),
      ignore,
      insecure: boolean('Allow talking to the endpoint over plain HTTP, without TLS.'),
      interval: interval('How often to check the bucket for changes.'),
      prefix: string('Only objects whose key starts with this prefix are fetched (filtered by the server).'),
      provider: string('Kind of object storage; generic (the default) means any S3-compatible API.', {
        enum: ['generic', 'aws', 'gcp', 'azure'],
        default: 'generic',
      }),
      proxySecretRef,
      region: string('Region of the endpoint the bucket is in.'),
      secretRef: localObjectReference('Secret with the credentials for the bucket.'),
      serviceAccountName: string('Kubernetes ServiceAccount whose workload identity authenticates to the provider (not for generic).'),
      sts: object(
        'Security Token Service to get temporary credentials from (aws and generic providers only).',
        {
          certSecretRef: localObjectReference(
            'Secret with TLS material for the STS endpoint: a client certificate and key and/or a CA certificate; ldap only.',
          ),
          endpoint: string('HTTP/S address of the Security Token Service.', { pattern: '^(http|https)://.*$' }),
          provider: string('Kind of Security Token Service.', { enum: ['aws', 'ldap'] }),
          secretRef: localObjectReference('Secret with the username and password for the STS endpoint; ldap only.'),
        },
        { required: ['endpoint', 'provider'], typeName: 'BucketSTSSpec' },
      ),
      suspend,
      timeout: string('Time limit for fetch operations.', { default: '60s', pattern: timeoutPattern }),
    },
    {
      required: ['bucketName', 'endpoint', 'interval'],
      'x-kubernetes-validations': [
        {
          rule: "self.provider == 'aws' || self.provider == 'generic' || !has(self.sts)",
          message: "STS configuration is only supported for the 'aws' and 'generic' Bucket providers",
        },
        {
          rule: "self.provider != 'aws' || !has(self.sts) || self.sts.provider == 'aws'",
          message: "'aws' is the only supported STS provider for the 'aws' Bucket provider",
        },
        {
          rule: "self.provider != 'generic' || !has(self.sts) || self.sts.provider == 'ldap'",
          message: "'ldap' is the only supported STS provider for the 'generic' Bucket provider",
        },
        {
          rule: "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.secretRef)",
          message: "spec.sts.secretRef is not required for the 'aws' STS provider",
        },
        {
          rule: "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.certSecretRef)",
          message: "spec.sts.certSecretRef is not required for the 'aws' STS provider",
        },
        {
          rule: "self.provider != 'generic' || !has(self.serviceAccountName)",
          message: "ServiceAccountName is not supported for the 'generic' Bucket provider",
        },
        {
          rule: '!has(self.secretRef) || !has(self.serviceAccountName)',
          message: 'cannot set both .spec.secretRef and .spec.serviceAccountName',
        },
      ],
    },
  ),
  status: object(
    'What the controller last observed and produced.',
    {
      artifact: artifact('The artifact produced from the last successful reconciliation.'),
      conditions,
      lastHandledReconcileAt,
      observedGeneration,
      observedIgnore,
      url: string('Download address of the latest artifact; prefer status.artifact for exact data.'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
