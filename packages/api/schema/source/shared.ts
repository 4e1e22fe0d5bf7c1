/** Definitions shared by the source kinds only; those other groups use too are in `../common.ts`. */
import { localObjectReference } from '../common.ts';
import { array, object, string, type SchemaNode } from '../dsl.ts';

/** The API group of the source kinds. */
export const sourceGroup = 'source.toolkit.fluxcd.io';

/** `spec.ignore` of the sources that pack files: .gitignore-style exclusions. */
export const ignore: SchemaNode = string('Extra exclusion rules in .gitignore syntax; when set, they replace the default exclusions.');

/** `status.observedIgnore`: the `spec.ignore` the artifact was built with. */
export const observedIgnore: SchemaNode = string('The ignore rules the artifact was built with.');

/** `spec.proxySecretRef` of the sources that fetch over the network. */
export const proxySecretRef: SchemaNode = localObjectReference('Secret with the address (and credentials) of an HTTP/S proxy for the connection.');

/** An accepted keyless signing identity (`OIDCIdentityMatch`): patterns for the issuer and subject of a Fulcio certificate. */
export const oidcIdentityMatch: SchemaNode = object(
  'An accepted keyless signing identity: patterns the issuer and subject of the Fulcio certificate must match.',
  {
    issuer: string('Go regular expression the OIDC issuer of the certificate must match.'),
    subject: string('Go regular expression the identity subject of the certificate must match.'),
  },
  { required: ['issuer', 'subject'], typeName: 'OIDCIdentityMatch' },
);

/**
 * How to check the signature of an OCI artifact before using it (`OCIRepositoryVerification`).
 * Flux's HelmChart CRD has the same type without `trustedRootSecretRef`; `trustedRoot: false`
 * builds that variant, as its own interface `HelmChartVerification`.
 */
export function ociVerification(description: string, { trustedRoot }: { trustedRoot: boolean }): SchemaNode {
  return object(
    description,
    {
      matchOIDCIdentity: array(
        'For keyless Cosign signatures: the artifact is trusted when any of these identities matches its signing certificate.',
        oidcIdentityMatch,
      ),
      provider: string('Signing technology the artifact was signed with.', { enum: ['cosign', 'notation'], default: 'cosign' }),
      secretRef: localObjectReference('Secret holding the trusted public keys (cosign) or certificates (notation).'),
      ...(trustedRoot
        ? {
            trustedRootSecretRef: localObjectReference(
              'Secret with a Sigstore trusted_root.json, for verifying against self-hosted Sigstore services.',
            ),
          }
        : {}),
    },
    trustedRoot
      ? {
          required: ['provider'],
          typeName: 'OCIRepositoryVerification',
          typeDoc: 'How to check the signature of an OCI artifact: the signing technology and the trusted keys or identities.',
        }
      : {
          required: ['provider'],
          typeName: 'HelmChartVerification',
          typeDoc: 'How to check the signature of an OCI chart: OCIRepositoryVerification without a custom Sigstore trusted root.',
        },
  );
}
