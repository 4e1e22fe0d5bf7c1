/** GitRepository (`source.toolkit.fluxcd.io/v1`): a Git repository turned into an artifact. */
import {
  artifact,
  conditions,
  gitRepositoryRef,
  interval,
  lastHandledReconcileAt,
  localObjectReference,
  observedGeneration,
  readyColumns,
  suspend,
  timeoutPattern,
} from '../common.ts';
import { array, boolean, kind, object, string, type SchemaNode } from '../dsl.ts';
import { ignore, observedIgnore, proxySecretRef, sourceGroup } from './shared.ts';

const include: SchemaNode = object(
  'Another GitRepository whose artifact content is copied into this one.',
  {
    fromPath: string('Folder of the included artifact to copy; defaults to its root.'),
    repository: localObjectReference('The GitRepository to include, in the same namespace.'),
    toPath: string('Folder of this artifact to copy into; defaults to the name of the included GitRepository.'),
  },
  { required: ['repository'], typeName: 'GitRepositoryInclude' },
);

export const gitRepository = kind({
  group: sourceGroup,
  version: 'v1',
  kind: 'GitRepository',
  plural: 'gitrepositories',
  shortNames: ['gitrepo'],
  categories: ['all', 'fluxcd', 'fluxcd-sources'],
  scope: 'Namespaced',
  description: 'A Git repository that the source controller clones at a reference and packs into a versioned artifact.',
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.spec.url' }, ...readyColumns],
  spec: object(
    'Where the repository is, which reference to follow and how often.',
    {
      ignore,
      include: array('Other GitRepositories whose content is merged into this artifact.', include),
      interval: interval('How often to check the remote for a new revision.'),
      provider: string('Provider used to authenticate to the Git server when secretRef is not set; generic means none.', {
        enum: ['generic', 'azure', 'github', 'aws'],
      }),
      proxySecretRef,
      recurseSubmodules: boolean('Also clone the repository\'s submodules.'),
      ref: gitRepositoryRef(
        'The Git reference to check out; when several are set, commit wins over name, name over semver, semver over tag, tag over branch.',
      ),
      secretRef: localObjectReference(
        'Secret with the credentials: username and password, bearerToken, an SSH identity with known_hosts, or TLS certificates.',
      ),
      serviceAccountName: string('Kubernetes ServiceAccount whose workload identity authenticates to the provider (azure and aws only).'),
      sparseCheckout: array('Only these folders are checked out (cone-mode sparse checkout).', string()),
      suspend,
      timeout: string('Time limit for Git operations such as clone and fetch.', { default: '60s', pattern: timeoutPattern }),
      url: string('Repository address, over http, https or ssh.', { pattern: '^(http|https|ssh)://.*$' }),
      verify: object(
        'Check the OpenPGP or SSH signature of the commit and/or tag.',
        {
          mode: string('What to verify: the HEAD commit, the tag, or both.', { enum: ['head', 'HEAD', 'Tag', 'TagAndHEAD'], default: 'HEAD' }),
          secretRef: localObjectReference('Secret holding the trusted public keys.'),
        },
        { required: ['secretRef'], typeName: 'GitRepositoryVerification' },
      ),
    },
    {
      required: ['interval', 'url'],
      'x-kubernetes-validations': [
        {
          rule: "!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure' || self.provider == 'aws'))",
          message: "serviceAccountName can only be set when provider is 'azure' or 'aws'",
        },
      ],
    },
  ),
  status: object(
    'What the controller last observed and produced.',
    {
      artifact: artifact('The artifact produced from the last successful reconciliation.'),
      conditions,
      includedArtifacts: array('The artifacts of the included repositories, in include order.', artifact('An included artifact.')),
      lastHandledReconcileAt,
      observedGeneration,
      observedIgnore,
      observedInclude: array('The include entries the artifact was built with.', include),
      observedRecurseSubmodules: boolean('Whether submodules were included in the artifact.'),
      observedSparseCheckout: array('The sparse-checkout folders the artifact was built with.', string()),
      sourceVerificationMode: string('The verification mode last used for the artifact.'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
