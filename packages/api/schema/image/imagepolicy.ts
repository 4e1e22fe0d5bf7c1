/** ImagePolicy (`image.toolkit.fluxcd.io/v1`): a rule choosing the latest image tag of an ImageRepository. */
import { ageColumn, conditions, interval, lastHandledReconcileAt, observedGeneration, readyColumn, statusColumn } from '../common.ts';
import { boolean, kind, object, string, type SchemaNode } from '../dsl.ts';
import { imageGroup, imageRef } from './shared.ts';

const order = (what: string): SchemaNode =>
  string(`Sort direction of the ${what} comparison; asc picks the highest tag, desc the lowest.`, { enum: ['asc', 'desc'], default: 'asc' });

export const imagePolicy = kind({
  group: imageGroup,
  version: 'v1',
  kind: 'ImagePolicy',
  plural: 'imagepolicies',
  shortNames: ['imgpol', 'imagepol'],
  categories: ['all', 'fluxcd', 'fluxcd-images'],
  scope: 'Namespaced',
  description: 'A rule that picks the latest tag among those an ImageRepository found, e.g. the highest semantic version in a range.',
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.status.latestRef.name' },
    { name: 'Tag', type: 'string', jsonPath: '.status.latestRef.tag' },
    readyColumn,
    statusColumn,
    ageColumn,
  ],
  spec: object(
    'Which ImageRepository to read tags from, and how to filter and order them.',
    {
      digestReflectionPolicy: string(
        'When to look up the digest of the chosen tag: Never, IfNotPresent (once per tag) or Always (again at every interval).',
        { enum: ['Always', 'IfNotPresent', 'Never'], default: 'Never' },
      ),
      filterTags: object(
        'Only consider tags matching a regular expression; by default all tags are considered.',
        {
          extract: string('Replacement (e.g. $version) built from the pattern\'s capture groups; the result is compared instead of the full tag.'),
          pattern: string('Regular expression a tag must match.'),
        },
        { typeName: 'TagFilter' },
      ),
      imageRepositoryRef: object(
        'The ImageRepository whose tags are considered.',
        {
          name: string('Name of the ImageRepository.'),
          namespace: string('Namespace of the ImageRepository; defaults to the ImagePolicy\'s own namespace.'),
        },
        { required: ['name'], typeName: 'ImageRepositoryReference' },
      ),
      interval: interval('How often to refresh the digest of the chosen tag; only with digestReflectionPolicy Always, where it is required.'),
      policy: object(
        'How tags are ordered to find the latest one; set exactly one of the choices.',
        {
          alphabetical: object('Order tags alphabetically.', { order: order('alphabetical') }, { typeName: 'AlphabeticalPolicy' }),
          numerical: object('Order tags as numbers.', { order: order('numerical') }, { typeName: 'NumericalPolicy' }),
          semver: object(
            'Pick the highest tag that is a semantic version within a range.',
            { range: string('Semantic-version range tags must fall in, e.g. >=1.0.0 <2.0.0.') },
            { required: ['range'], typeName: 'SemVerPolicy' },
          ),
        },
        { typeName: 'ImagePolicyChoice' },
      ),
      suspend: boolean('Stop reconciling this policy until set back to false.'),
    },
    {
      required: ['imageRepositoryRef', 'policy'],
      'x-kubernetes-validations': [
        {
          rule: "!has(self.interval) || (has(self.digestReflectionPolicy) && self.digestReflectionPolicy == 'Always')",
          message: "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
        },
        {
          rule: "has(self.interval) || !has(self.digestReflectionPolicy) || self.digestReflectionPolicy != 'Always'",
          message: "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'",
        },
      ],
    },
  ),
  status: object(
    'What the controller last chose.',
    {
      conditions,
      lastHandledReconcileAt,
      latestRef: imageRef('The image and tag the policy currently selects.'),
      observedGeneration,
      observedPreviousRef: imageRef('The image and tag the policy selected before the current one.'),
    },
    { default: { observedGeneration: -1 } },
  ),
});
