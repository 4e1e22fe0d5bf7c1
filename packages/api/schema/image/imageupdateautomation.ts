/** ImageUpdateAutomation (`image.toolkit.fluxcd.io/v1`): commits the latest image tags of ImagePolicies to Git. */
import {
  ageColumn,
  conditions,
  gitRepositoryRef,
  interval,
  lastHandledReconcileAt,
  localObjectReference,
  observedGeneration,
  readyColumn,
  statusColumn,
} from '../common.ts';
import { array, boolean, kind, map, object, string } from '../dsl.ts';
import { imageGroup, imageRef } from './shared.ts';

export const imageUpdateAutomation = kind({
  group: imageGroup,
  version: 'v1',
  kind: 'ImageUpdateAutomation',
  plural: 'imageupdateautomations',
  shortNames: ['iua', 'imgupd', 'imgauto'],
  categories: ['all', 'fluxcd', 'fluxcd-images'],
  scope: 'Namespaced',
  description: 'Keeps the image references in files of a Git repository up to date with what ImagePolicies select, committing and pushing the changes.',
  printerColumns: [
    readyColumn,
    statusColumn,
    { name: 'Last run', type: 'string', jsonPath: '.status.lastAutomationRunTime', priority: 1 },
    ageColumn,
  ],
  spec: object(
    'Which repository to update, which policies to apply, and how to commit and push.',
    {
      git: object(
        'How to check out, commit to and push the Git repository.',
        {
          checkout: object(
            'The reference to check out instead of the one given in the GitRepository.',
            {
              ref: gitRepositoryRef(
                'The Git reference to check out; when several are set, commit wins over name, name over semver, semver over tag, tag over branch.',
              ),
            },
            { required: ['ref'], typeName: 'GitCheckoutSpec' },
          ),
          commit: object(
            'Author, message and signature of the commits made.',
            {
              author: object(
                'The commit author.',
                {
                  email: string('Email address of the author.'),
                  name: string('Name of the author.'),
                },
                { required: ['email'], typeName: 'CommitUser' },
              ),
              messageTemplate: string('Go template for the commit message; it can use the changed files, objects and images.'),
              messageTemplateValues: map('Extra values available to the message template under .Values.', string()),
              signingKey: object(
                'Key used to sign the commits.',
                {
                  secretRef: localObjectReference('Secret holding the private key (git.asc for OpenPGP, identity for SSH) and its optional passphrase.'),
                  type: string('Kind of signing key: gpg (OpenPGP) or ssh.', { enum: ['gpg', 'ssh'] }),
                },
                { required: ['secretRef'], typeName: 'CommitSigningKey' },
              ),
            },
            { required: ['author'], typeName: 'GitCommitSpec' },
          ),
          push: object(
            'Where to push the commits; by default to the checked-out branch.',
            {
              branch: string('Branch to push to; created from the checked-out commit if it does not exist.'),
              options: map('Git push options (git push -o) sent to the server.', string()),
              refspec: string('Git refspec to push, e.g. refs/heads/main:refs/heads/auto; pushed in addition to branch when both are set.', {
                pattern: '^$|^[^+:]',
              }),
            },
            { typeName: 'GitPushSpec' },
          ),
        },
        { required: ['commit'], typeName: 'ImageUpdateAutomationGit' },
      ),
      interval: interval('How often to run the automation.'),
      policySelector: object(
        'Label selector for the ImagePolicies to apply; by default all ImagePolicies in the namespace.',
        {
          matchExpressions: array(
            'Set-based requirements; all must hold.',
            object(
              'One set-based requirement on a label.',
              {
                key: string('The label key.'),
                operator: string('How the key relates to the values: In, NotIn, Exists or DoesNotExist.'),
                values: array('Values for In and NotIn; must be empty for Exists and DoesNotExist.', string(), { 'x-kubernetes-list-type': 'atomic' }),
              },
              { required: ['key', 'operator'], typeName: 'PolicySelectorRequirement' },
            ),
            { 'x-kubernetes-list-type': 'atomic' },
          ),
          matchLabels: map('Labels an ImagePolicy must all have.', string()),
        },
        { 'x-kubernetes-map-type': 'atomic', typeName: 'PolicySelector' },
      ),
      sourceRef: object(
        'The GitRepository holding the files to update.',
        {
          apiVersion: string('API version of the source.'),
          kind: string('Kind of the source; only GitRepository is supported.', { enum: ['GitRepository'], default: 'GitRepository' }),
          name: string('Name of the source.'),
          namespace: string('Namespace of the source; defaults to the automation\'s own namespace.'),
        },
        { required: ['kind', 'name'], typeName: 'ImageUpdateAutomationSourceReference' },
      ),
      suspend: boolean('Stop running the automation until set back to false.'),
      update: object(
        'Which files to update and how.',
        {
          path: string('Folder of the repository to update, relative to its root; defaults to the root.'),
          strategy: string('How image references are found: Setters updates fields marked with image policy comments.', {
            enum: ['Setters'],
            default: 'Setters',
          }),
        },
        { default: { strategy: 'Setters' }, typeName: 'UpdateStrategy' },
      ),
    },
    { required: ['interval', 'sourceRef'] },
  ),
  status: object(
    'What the automation last did.',
    {
      conditions,
      lastAutomationRunTime: string('When the automation last ran.', { format: 'date-time' }),
      lastHandledReconcileAt,
      lastPushCommit: string('SHA of the last commit pushed.'),
      lastPushTime: string('When a commit was last pushed.', { format: 'date-time' }),
      observedGeneration,
      observedPolicies: map('The image each applied ImagePolicy selected, by policy name, at the last run.', imageRef('The image a policy selected.')),
      observedSourceRevision: string('The source revision the last run started from.'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
