/**
 * Definitions shared by kinds of more than one API group (Flux's `meta`, `acl`, `kustomize` and
 * `source` API packages): printer columns, conditions, object and secret references, artifacts,
 * interval and timeout durations, cross-namespace access, kubeconfig references, dependencies,
 * kustomize patches, selectors, images, health checks and inventories. Definitions used by one
 * group only live in that group's `shared.ts`.
 */
import { array, boolean, integer, map, object, string, type PrinterColumn, type SchemaNode } from './dsl.ts';

/** The Age column of `kubectl get`: how long ago the object was created. */
export const ageColumn: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
/** The Ready column of `kubectl get`: the status of the Ready condition. */
export const readyColumn: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
/** The Status column of `kubectl get`: the message of the Ready condition. */
export const statusColumn: PrinterColumn = { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message' };
/** Age, Ready and Status columns, in that order: the tail of most Flux kinds' `kubectl get` output. */
export const readyColumns: PrinterColumn[] = [ageColumn, readyColumn, statusColumn];

/** Go duration pattern accepted for intervals: `1m`, `1h30m`, `500ms`, `1.5h`. */
export const durationPattern = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** Go duration pattern for timeouts (no hours). */
export const timeoutPattern = '^([0-9]+(\\.[0-9]+)?(ms|s|m))+$';

/** A reconciliation interval. */
export function interval(description: string): SchemaNode {
  return string(description, { pattern: durationPattern });
}

/** A reference to an object in the same namespace, by name (`LocalObjectReference`). */
export function localObjectReference(description: string): SchemaNode {
  return object(description, { name: string('Name of the referent.') }, {
    required: ['name'],
    typeName: 'LocalObjectReference',
    typeDoc: 'A reference to an object in the same namespace, by name.',
  });
}

/** `spec.suspend` of the kinds that say it in these words: pauses reconciliation. */
export const suspend: SchemaNode = boolean('Stop reconciling this object until set back to false.');

/** A reference to one key of a Secret in the same namespace (`SecretKeyReference`); `description` says what the key holds. */
export function secretKeyReference(description: string): SchemaNode {
  return object(
    description,
    {
      key: string('Key in the Secret that holds the value; when unset, a default that depends on the use.'),
      name: string('Name of the Secret.'),
    },
    { required: ['name'], typeName: 'SecretKeyReference', typeDoc: 'A reference to one key of a Secret in the same namespace.' },
  );
}

/**
 * A way to reach a remote cluster (`KubeConfigReference`): a kubeconfig in a Secret, or
 * cloud-provider settings in a ConfigMap; exactly one of the two.
 */
export function kubeConfigReference(description: string): SchemaNode {
  return object(
    description,
    {
      configMapRef: localObjectReference(
        'ConfigMap with the settings (provider, cluster, address, ca.crt, audiences, serviceAccountName) to reach the cluster with a cloud provider\'s workload identity.',
      ),
      secretRef: secretKeyReference('Secret holding a self-contained kubeconfig file, under the key value unless key names another.'),
    },
    {
      typeName: 'KubeConfigReference',
      typeDoc: 'How to reach a remote cluster: a kubeconfig Secret, or cloud-provider settings in a ConfigMap (exactly one).',
      'x-kubernetes-validations': [
        {
          rule: 'has(self.configMapRef) || has(self.secretRef)',
          message: 'exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified',
        },
        {
          rule: '!has(self.configMapRef) || !has(self.secretRef)',
          message: 'exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified',
        },
      ],
    },
  );
}

/** Which other namespaces may refer to an object (`AccessFrom`, Flux's ACL); `description` says what the default is for the kind. */
export function accessFrom(description: string): SchemaNode {
  return object(
    description,
    {
      namespaceSelectors: array(
        'Namespace selectors; a namespace is allowed when any of them matches.',
        object(
          'Selects namespaces by label; an empty selector matches every namespace.',
          { matchLabels: map('Labels a namespace must all have to be selected.', string()) },
          { typeName: 'NamespaceSelector' },
        ),
      ),
    },
    { required: ['namespaceSelectors'], typeName: 'AccessFrom', typeDoc: 'Which namespaces, by label, may refer to an object from outside its own.' },
  );
}

/** Labels and annotations set on every object an applier manages (`CommonMetadata`). */
export function commonMetadata(description: string): SchemaNode {
  return object(
    description,
    {
      annotations: map('Annotations set on every object.', string()),
      labels: map('Labels set on every object.', string()),
    },
    { typeName: 'CommonMetadata', typeDoc: 'Labels and annotations set on every object an applier manages, replacing existing ones with the same key.' },
  );
}

/** Another object of the same kind that must be ready first (`DependencyReference`), an item of `spec.dependsOn`. */
export function dependencyReference(description: string): SchemaNode {
  return object(
    description,
    {
      name: string('Name of the dependency, an object of the same kind.'),
      namespace: string('Namespace of the dependency; defaults to the dependent object\'s namespace.'),
      readyExpr: string('CEL expression deciding when the dependency counts as ready, instead of its Ready condition.'),
    },
    { required: ['name'], typeName: 'DependencyReference', typeDoc: 'Another object of the same kind that must be ready before this one is reconciled.' },
  );
}

/** CEL expressions telling the health of one kind of custom resource (`CustomHealthCheck`), an item of `spec.healthCheckExprs`. */
export function customHealthCheck(description: string): SchemaNode {
  return object(
    description,
    {
      apiVersion: string('API version of the custom resources checked.'),
      current: string('CEL expression that is true when the resource has reached its desired state.'),
      failed: string('CEL expression that is true when the resource has failed.'),
      inProgress: string('CEL expression that is true while the resource is still progressing.'),
      kind: string('Kind of the custom resources checked.'),
    },
    { required: ['apiVersion', 'current'], typeName: 'CustomHealthCheck', typeDoc: 'CEL expressions that tell the health of one kind of custom resource.' },
  );
}

/** A selection of objects by group, version, kind, name, namespace, labels or annotations (kustomize's `Selector`). */
export function kustomizeSelector(description: string): SchemaNode {
  return object(
    description,
    {
      annotationSelector: string('Label-selector expression matched against the objects\' annotations.'),
      group: string('API group of the objects to select.'),
      kind: string('Kind of the objects to select.'),
      labelSelector: string('Label-selector expression matched against the objects\' labels.'),
      name: string('Name of the objects to select.'),
      namespace: string('Namespace of the objects to select.'),
      version: string('API version of the objects to select.'),
    },
    { typeName: 'KustomizeSelector', typeDoc: 'Selects objects by group, version, kind, name, namespace, labels or annotations.' },
  );
}

/** An inline kustomize patch and the objects it applies to (kustomize's `Patch`). */
export function kustomizePatch(description: string): SchemaNode {
  return object(
    description,
    {
      patch: string('The patch, inline: a strategic-merge patch or a JSON 6902 list of operations.'),
      target: kustomizeSelector('The objects the patch applies to.'),
    },
    { required: ['patch'], typeName: 'KustomizePatch', typeDoc: 'An inline strategic-merge or JSON 6902 patch and the objects it applies to.' },
  );
}

/** A replacement of the name, tag or digest of one image (kustomize's `Image`). */
export function kustomizeImage(description: string): SchemaNode {
  return object(
    description,
    {
      digest: string('Digest to use instead of the original tag; when set, newTag is ignored.'),
      name: string('Image name, without tag, to replace.'),
      newName: string('Name to use instead of the original one.'),
      newTag: string('Tag to use instead of the original one.'),
    },
    { required: ['name'], typeName: 'KustomizeImage', typeDoc: 'A replacement of the name, tag or digest of one image.' },
  );
}

/** Fields of the managed objects that drift detection leaves alone (`IgnoreRule`). */
export function ignoreRule(description: string): SchemaNode {
  return object(
    description,
    {
      paths: array('JSON Pointer (RFC 6901) paths of the fields to ignore.', string()),
      target: kustomizeSelector('The objects the rule applies to; every managed object when unset.'),
    },
    { required: ['paths'], typeName: 'IgnoreRule', typeDoc: 'JSON pointer paths that drift detection ignores on the selected objects.' },
  );
}

/** The objects an applier applied (`ResourceInventory`), recorded in its status for pruning. */
export function resourceInventory(description: string): SchemaNode {
  return object(
    description,
    {
      entries: array(
        'One entry per applied object.',
        object(
          'An applied object.',
          {
            id: string('Object identifier, as <namespace>_<name>_<group>_<kind>.'),
            v: string('API version of the object.'),
          },
          { required: ['id', 'v'], typeName: 'ResourceRef' },
        ),
      ),
    },
    { required: ['entries'], typeName: 'ResourceInventory', typeDoc: 'The objects an applier applied, one entry each.' },
  );
}

/**
 * The Git reference to check out (`GitRepositoryRef`), used by GitRepository and by
 * ImageUpdateAutomation's checkout.
 */
export function gitRepositoryRef(description: string): SchemaNode {
  return object(
    description,
    {
      branch: string('Branch to check out; master when no field of the reference is set.'),
      commit: string('Commit SHA to check out; with branch, the commit must be on it.'),
      name: string('A full reference name, e.g. refs/heads/main, refs/tags/v1.0.0 or refs/pull/1/head.'),
      semver: string('Semantic-version range; the highest matching tag is checked out.'),
      tag: string('Tag to check out.'),
    },
    { typeName: 'GitRepositoryRef', typeDoc: 'A Git reference to check out: a branch, tag, semantic-version range, reference name or commit.' },
  );
}

/** One status condition, as `metav1.Condition`. */
export const condition: SchemaNode = object(
  'One aspect of the observed state of the object, in the Kubernetes condition format.',
  {
    lastTransitionTime: string('When the condition last changed status.', { format: 'date-time' }),
    message: string('Human-readable details about the last transition.', { maxLength: 32768 }),
    observedGeneration: integer('The metadata.generation the condition was computed from.', { format: 'int64', minimum: 0 }),
    reason: string('Machine-readable, CamelCase reason for the last transition.', {
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      minLength: 1,
      maxLength: 1024,
    }),
    status: string('Status of the condition: True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    type: string('Type of the condition in CamelCase, e.g. Ready.', {
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      maxLength: 316,
    }),
  },
  { required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'], typeName: 'Condition' },
);

/** `status.conditions`. */
export const conditions: SchemaNode = array('The latest observations of the object\'s state.', condition);

/** `status.observedGeneration`. */
export const observedGeneration: SchemaNode = integer('The last metadata.generation the controller acted on.', { format: 'int64' });

/** `status.lastHandledReconcileAt`: the last `reconcile.fluxcd.io/requestedAt` value handled. */
export const lastHandledReconcileAt: SchemaNode = string(
  'The value of the reconcile.fluxcd.io/requestedAt annotation the controller last handled.',
);

/** The Artifact a source produces (`status.artifact`). */
export function artifact(description: string): SchemaNode {
  return object(
    description,
    {
      digest: string('Digest of the artifact file, as <algorithm>:<checksum>.', { pattern: '^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$' }),
      lastUpdateTime: string('When the artifact was last updated.', { format: 'date-time' }),
      metadata: map('Annotations of the source, e.g. OCI annotations.', string()),
      path: string('Path of the artifact file relative to the root of the storage.'),
      revision: string('Source revision the artifact was built from, e.g. main@sha1:<hex> or v1.0.0@sha256:<hex>.'),
      size: integer('Size of the artifact file in bytes.', { format: 'int64' }),
      url: string('HTTP address from which the artifact can be downloaded.'),
    },
    {
      required: ['digest', 'lastUpdateTime', 'path', 'revision', 'url'],
      typeName: 'Artifact',
      typeDoc: 'A versioned tarball a source produced, served over HTTP by the source controller.',
    },
  );
}
