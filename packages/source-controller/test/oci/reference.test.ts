import { Reason, type OCIRepositoryRef } from '@eddy/api';
import { StallingError } from '@eddy/runtime';
import { describe, expect, it } from 'vitest';
import { parseRepositoryURL, refTarget, selectSemverTag, tagVersion, type RefTarget, type RepositoryURL } from '../../src/oci/reference.ts';

const digest = `sha256:${'a'.repeat(64)}`;

function stalled(fn: () => unknown): StallingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StallingError) return err;
    throw err;
  }
  throw new Error('expected a StallingError');
}

describe('parseRepositoryURL', () => {
  it.each<[string, RepositoryURL]>([
    ['oci://ghcr.io/stefanprodan/manifests/podinfo', { registry: 'ghcr.io', repository: 'stefanprodan/manifests/podinfo', name: 'ghcr.io/stefanprodan/manifests/podinfo' }],
    ['oci://127.0.0.1:5000/team/app', { registry: '127.0.0.1:5000', repository: 'team/app', name: '127.0.0.1:5000/team/app' }],
    ['oci://localhost/app', { registry: 'localhost', repository: 'app', name: 'localhost/app' }],
    ['oci://[::1]:5000/app', { registry: '[::1]:5000', repository: 'app', name: '[::1]:5000/app' }],
    ['oci://Registry.Example.com/a.b/c_d/e__f/g--h', { registry: 'registry.example.com', repository: 'a.b/c_d/e__f/g--h', name: 'registry.example.com/a.b/c_d/e__f/g--h' }],
    ['oci://stefanprodan/podinfo', { registry: 'index.docker.io', repository: 'stefanprodan/podinfo', name: 'index.docker.io/stefanprodan/podinfo' }],
    ['oci://alpine', { registry: 'index.docker.io', repository: 'library/alpine', name: 'index.docker.io/library/alpine' }],
  ])('%s', (url, expected) => {
    expect(parseRepositoryURL(url)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['https://ghcr.io/org/app', "URL validation failed for 'https://ghcr.io/org/app': URL must be in format 'oci://<domain>/<org>/<repo>'"],
    ['oci://ghcr.io', "URL validation failed for 'oci://ghcr.io': the repository path must be lowercase alphanumeric components separated by /, e.g. oci://ghcr.io/org/repo"],
    ['oci://ghcr.io/', "URL validation failed for 'oci://ghcr.io/': the repository path must be lowercase alphanumeric components separated by /, e.g. oci://ghcr.io/org/repo"],
    ['oci://ghcr.io/org//app', "URL validation failed for 'oci://ghcr.io/org//app': the repository path must be lowercase alphanumeric components separated by /, e.g. oci://ghcr.io/org/repo"],
    ['oci://ghcr.io/org/App', "URL validation failed for 'oci://ghcr.io/org/App': the repository path must be lowercase alphanumeric components separated by /, e.g. oci://ghcr.io/org/repo"],
    ['oci://ghcr.io/org/app:v1.0.0', "URL validation failed for 'oci://ghcr.io/org/app:v1.0.0': URL must not contain a tag; remove ':v1.0.0'"],
    [`oci://ghcr.io/org/app@${digest}`, `URL validation failed for 'oci://ghcr.io/org/app@${digest}': URL must not contain credentials or a digest; use spec.secretRef and spec.ref.digest`],
    ['oci://ghcr.io/org/app?x=1', "URL validation failed for 'oci://ghcr.io/org/app?x=1': URL must not contain a query, a fragment or spaces"],
    ['oci://ghcr.io:99999/app', "URL validation failed for 'oci://ghcr.io:99999/app': invalid registry port 99999"],
    ['oci://gh_cr.io/app', "URL validation failed for 'oci://gh_cr.io/app': invalid registry host 'gh_cr.io'"],
    ['oci://-bad.io/app', "URL validation failed for 'oci://-bad.io/app': invalid registry host '-bad.io'"],
  ])('refuses %s', (url, message) => {
    const err = stalled(() => parseRepositoryURL(url));
    expect({ reason: err.reason, message: err.message }).toEqual({ reason: Reason.URLInvalid, message });
  });

  it('never quotes credentials embedded in the URL', () => {
    const err = stalled(() => parseRepositoryURL('oci://user:s3cret@ghcr.io/org/app'));
    expect({ reason: err.reason, message: err.message }).toEqual({
      reason: Reason.URLInvalid,
      message: "URL validation failed for 'oci://ghcr.io/org/app': URL must not contain credentials or a digest; use spec.secretRef and spec.ref.digest",
    });
  });
});

describe('refTarget', () => {
  it.each<[string, OCIRepositoryRef | undefined, RefTarget]>([
    ['no ref: latest', undefined, { kind: 'tag', tag: 'latest' }],
    ['empty ref: latest', {}, { kind: 'tag', tag: 'latest' }],
    ['tag', { tag: 'v1.0.0' }, { kind: 'tag', tag: 'v1.0.0' }],
    ['semverFilter alone is ignored', { semverFilter: '^v' }, { kind: 'tag', tag: 'latest' }],
    ['semver over tag', { tag: 'v1.0.0', semver: '>=1.0.0' }, { kind: 'semver', range: '>=1.0.0' }],
    ['semver with filter', { semver: '1.x', semverFilter: '^v' }, { kind: 'semver', range: '1.x', filter: /^v/ }],
    ['Masterminds commas', { semver: '>= 1.2, < 3' }, { kind: 'semver', range: '>= 1.2  < 3' }],
    ['digest over everything', { tag: 'v1.0.0', semver: '>=1.0.0', digest }, { kind: 'digest', digest }],
  ])('%s', (_name, ref, expected) => {
    expect(refTarget(ref)).toEqual(expected);
  });

  it.each<[string, OCIRepositoryRef, string]>([
    ['short digest', { digest: 'sha256:abc' }, "invalid digest 'sha256:abc': expected sha256:<64 hex digits>"],
    ['unknown algorithm', { digest: `md5:${'a'.repeat(32)}` }, `invalid digest 'md5:${'a'.repeat(32)}': expected sha256:<64 hex digits>`],
    ['bad range', { semver: 'one point two' }, "semver 'one point two' parse error: not a valid version range"],
    ['bad filter', { semver: '*', semverFilter: '(' }, "invalid semverFilter '(': Invalid regular expression: /(/: Unterminated group"],
    ['bad tag', { tag: 'a tag' }, "invalid tag 'a tag'"],
    ['tag too long', { tag: 'x'.repeat(129) }, `invalid tag '${'x'.repeat(129)}'`],
  ])('refuses a %s', (_name, ref, message) => {
    const err = stalled(() => refTarget(ref));
    expect({ reason: err.reason, message: err.message }).toEqual({ reason: Reason.OCIArtifactPullFailed, message });
  });
});

describe('tagVersion', () => {
  it.each<[string, string | undefined]>([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['v1.2.3-rc.1', '1.2.3-rc.1'],
    ['1.2', undefined],
    ['vv1.2.3', undefined],
    ['01.2.3', undefined],
    ['latest', undefined],
    ['=1.2.3', undefined],
  ])('%s', (tag, version) => {
    expect(tagVersion(tag)?.version).toBe(version);
  });
});

describe('selectSemverTag', () => {
  const tags = ['latest', '1.0.0', 'v1.2.0', '1.10.0', '2.0.0-rc.1', '1.2', 'foo', 'v1.3.0-rc.1', 'main-abc123'];
  it.each<[string, string, RegExp | undefined, string | undefined]>([
    ['highest release', '*', undefined, '1.10.0'],
    ['bounded range', '>=1.0.0 <1.5.0', undefined, 'v1.2.0'],
    ['tilde', '~1.2', undefined, 'v1.2.0'],
    ['pre-releases when the range names one', '>=2.0.0-0', undefined, '2.0.0-rc.1'],
    ['pre-releases of any version, as Masterminds', '>=1.0.0-0', undefined, '2.0.0-rc.1'],
    ['no pre-release when a comparator names none', '>=1.0.0-0 <2.0.0', undefined, '1.10.0'],
    ['tilde with a pre-release', '~1.3.0-0', undefined, 'v1.3.0-rc.1'],
    ['caret without a pre-release', '^1.3.0', undefined, '1.10.0'],
    ['no match', '>=3.0.0', undefined, undefined],
    ['filter first', '*', /^v/, 'v1.2.0'],
    ['filter with pre-releases', '>=1.0.0-0', /rc/, '2.0.0-rc.1'],
    ['filter leaves nothing', '*', /^release-/, undefined],
  ])('%s', (_name, range, filter, expected) => {
    expect(selectSemverTag(tags, range, filter)).toBe(expected);
  });

  it('keeps the first listed of equal versions', () => {
    expect(selectSemverTag(['v1.0.0', '1.0.0'], '*')).toBe('v1.0.0');
    expect(selectSemverTag(['1.0.0', 'v1.0.0'], '*')).toBe('1.0.0');
  });

  it('handles no tags', () => {
    expect(selectSemverTag([], '*')).toBeUndefined();
  });
});
