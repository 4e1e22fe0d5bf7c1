/** Receiver (`notification.toolkit.fluxcd.io/v1`): a webhook that triggers reconciliation of Flux objects. */
import { conditions, durationPattern, lastHandledReconcileAt, localObjectReference, observedGeneration, readyColumns } from '../common.ts';
import { array, boolean, kind, object, string } from '../dsl.ts';
import { crossNamespaceObjectReferenceFields, notificationGroup } from './shared.ts';

const resource = object(
  'Objects to reconcile when a valid webhook arrives, by kind, name (or * for all) and namespace.',
  crossNamespaceObjectReferenceFields('Receiver', {
    filter: string(
      'CEL expression over res (the object) and req (the request body); the object is reconciled only if it and resourceFilter return true.',
    ),
  }),
  { required: ['kind', 'name'], typeName: 'ReceiverResource' },
);

const oidcProvider = object(
  'An OIDC issuer whose tokens may call a generic-oidc Receiver.',
  {
    audience: string('Audience the token\'s aud claim must contain; defaults to notification-controller.'),
    issuerURL: string('Issuer URL used for discovery; must equal the token\'s iss claim.', { pattern: '^https?://' }),
    validations: array(
      'CEL checks on the token claims and variables; the request is accepted only if all of them pass.',
      object(
        'A CEL check on the token claims.',
        {
          expression: string('CEL expression that must evaluate to true.'),
          message: string('Message returned to the caller when the expression is false.'),
        },
        { required: ['expression', 'message'], typeName: 'ReceiverOIDCValidation' },
      ),
      { minItems: 1 },
    ),
    variables: array(
      'Named CEL expressions over the claims, evaluated in order and available to later ones as vars.<name>.',
      object(
        'A named CEL expression over the token claims.',
        {
          expression: string('CEL expression giving the variable\'s value.'),
          name: string('Name of the variable; must be a valid CEL identifier.'),
        },
        { required: ['expression', 'name'], typeName: 'ReceiverOIDCVariable' },
      ),
    ),
  },
  { required: ['issuerURL', 'validations'], typeName: 'ReceiverOIDCProvider' },
);

export const receiver = kind({
  group: notificationGroup,
  version: 'v1',
  kind: 'Receiver',
  plural: 'receivers',
  categories: ['all', 'fluxcd', 'fluxcd-notifications'],
  scope: 'Namespaced',
  description: 'A webhook endpoint that, when called by a Git host, registry or other sender, asks the controllers to reconcile the listed objects.',
  printerColumns: readyColumns,
  spec: object(
    'Which sender to accept, how to authenticate it, and which objects to reconcile.',
    {
      events: array('Sender event types to act on, e.g. push for GitHub or Push Hook for GitLab; empty means all.', string()),
      interval: string('How often to reconcile the Receiver with its Secret.', { default: '10m', pattern: durationPattern }),
      oidcProviders: array('Issuers whose tokens are accepted, for generic-oidc Receivers.', oidcProvider, {
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['issuerURL'],
      }),
      resourceFilter: string(
        'CEL expression over res (the object) and req (the request body), checked for every resource; false skips it.',
      ),
      resources: array('The objects to reconcile when a valid request arrives.', resource),
      secretRef: localObjectReference(
        'Secret with the token that authenticates requests (key token); required unless the type is generic-oidc.',
      ),
      suspend: boolean('Stop handling requests for this Receiver until set back to false.'),
      type: string('Kind of sender, which decides how requests are verified and decoded.', {
        enum: ['generic', 'generic-hmac', 'generic-oidc', 'github', 'gitlab', 'bitbucket', 'harbor', 'dockerhub', 'quay', 'gcr', 'nexus', 'acr', 'cdevents'],
      }),
    },
    {
      required: ['resources', 'type'],
      'x-kubernetes-validations': [
        {
          rule: "self.type != 'generic-oidc' || (has(self.oidcProviders) && size(self.oidcProviders) > 0)",
          message: 'generic-oidc receivers must define at least one oidcProvider',
        },
        {
          rule: "self.type == 'generic-oidc' || !has(self.oidcProviders) || size(self.oidcProviders) == 0",
          message: 'oidcProviders can only be set when type is generic-oidc',
        },
        {
          rule: "self.type != 'generic-oidc' || !has(self.secretRef)",
          message: 'secretRef cannot be set when type is generic-oidc',
        },
        {
          rule: "self.type == 'generic-oidc' || has(self.secretRef)",
          message: 'secretRef is required when type is not generic-oidc',
        },
      ],
    },
  ),
  status: object(
    'What the controller last observed, and the path the webhook is served at.',
    {
      conditions,
      lastHandledReconcileAt,
      observedGeneration,
      webhookPath: string('Path of the generated webhook URL, derived from the token and the Receiver\'s name and namespace.'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
