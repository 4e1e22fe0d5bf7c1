import type { GitRepositoryRef } from '@eddy/api';
import { ReconcileError } from '@eddy/runtime';
import { describe, expect, it } from 'vitest';
import {
  describeRef,
  gitRevision,
  parseLsRemote,
  parseTagVersion,
  pickSemverTag,
  refNameProblem,
  selectReference,
  sparseDir,
  sparsePatterns,
  tagNames,
  type SelectedRef,
} from '../../src/git/refs.ts';

const c1 = 'a'.repeat(40);
const c2 = 'b'.repeat(40);

describe('selectReference', () => {
  const cases: [string, GitRepositoryRef | undefined, SelectedRef][] = [
    ['no ref: branch master', undefined, { kind: 'branch', branch: 'master' }],
    ['empty ref: branch master', {}, { kind: 'branch', branch: 'master' }],
    ['empty strings count as unset', { branch: '', tag: '', semver: '', name: '', commit: '' }, { kind: 'branch', branch: 'master' }],
    ['branch', { branch: 'main' }, { kind: 'branch', branch: 'main' }],
    ['tag over branch', { branch: 'main', tag: 'v1' }, { kind: 'tag', tag: 'v1' }],
    ['semver over tag', { branch: 'main', tag: 'v1', semver: '>=1' }, { kind: 'semver', range: '>=1' }],
    ['name over semver', { branch: 'main', tag: 'v1', semver: '>=1', name: 'refs/pull/1/head' }, { kind: 'name', name: 'refs/pull/1/head' }],
    ['commit over everything, keeping branch', { branch: 'main', tag: 'v1', semver: '>=1', name: 'refs/pull/1/head', commit: c1 }, { kind: 'commit', commit: c1, branch: 'main' }],
    ['bare commit', { commit: c1 }, { kind: 'commit', commit: c1 }],
    ['commit upper case is normalized', { commit: c2.toUpperCase() }, { kind: 'commit', commit: c2 }],
    ['branch with slashes', { branch: 'feature/x-1' }, { kind: 'branch', branch: 'feature/x-1' }],
  ];
  it.each(cases)('%s', (_name, ref, want) => {
    expect(selectReference(ref)).toEqual(want);
  });

  const invalid: [string, GitRepositoryRef, string][] = [
    ['short commit', { commit: 'abc1234' }, "invalid commit 'abc1234': expected a full 40-character hexadecimal SHA-1"],
    ['non-hex commit', { commit: 'z'.repeat(40) }, `invalid commit '${'z'.repeat(40)}': expected a full 40-character hexadecimal SHA-1`],
    ['name without refs/', { name: 'main' }, "invalid reference name 'main': expected a full reference such as refs/heads/main, refs/tags/v1.0.0 or refs/pull/1/head"],
    ['branch like an option', { branch: '--upload-pack=x' }, "invalid branch '--upload-pack=x': starts with -"],
    ['tag with space', { tag: 'v 1' }, "invalid tag 'v 1': contains a space, a control character or one of ~ ^ : ? * [ \\"],
    ['branch with ..', { branch: 'a..b' }, "invalid branch 'a..b': contains .."],
    ['branch ending .lock', { branch: 'x.lock' }, "invalid branch 'x.lock': component 'x.lock' ends with .lock"],
    ['invalid semver', { semver: 'not a range' }, "invalid semver range 'not a range': not a semantic version range (e.g. >=1.0.0, ^1.2, ~1.2.3, 1.x)"],
    ['!= semver', { semver: '!=1.0.0' }, "invalid semver range '!=1.0.0': != is not supported; use a range such as >=1.0.0 <1.2.0 || >1.2.0"],
  ];
  it.each(invalid)('rejects %s', (_name, ref, message) => {
    let err: unknown;
    try {
      selectReference(ref);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReconcileError);
    expect({ reason: (err as ReconcileError).reason, message: (err as ReconcileError).message }).toEqual({ reason: 'GitOperationFailed', message });
  });
});

describe('refNameProblem', () => {
  it.each([
    ['main', undefined],
    ['release/1.x', undefined],
    ['refs/pull/12/head', undefined],
    ['', 'empty'],
    ['a//b', 'has an empty path component'],
    ['/a', 'has an empty path component'],
    ['a/', 'has an empty path component'],
    ['a.', 'ends with .'],
    ['a/.b', "component '.b' starts with ."],
    ['a@{b', 'contains @{'],
    ['@', 'is @'],
    ['a~1', 'contains a space, a control character or one of ~ ^ : ? * [ \\'],
    ['a\tb', 'contains a space, a control character or one of ~ ^ : ? * [ \\'],
  ])('%j → %j', (name, want) => {
    expect(refNameProblem(name)).toBe(want);
  });
});

describe('describeRef', () => {
  it.each<[SelectedRef, string]>([
    [{ kind: 'branch', branch: 'main' }, "branch 'main'"],
    [{ kind: 'tag', tag: 'v1' }, "tag 'v1'"],
    [{ kind: 'semver', range: '^1' }, "semver range '^1'"],
    [{ kind: 'name', name: 'refs/pull/1/head' }, "reference 'refs/pull/1/head'"],
    [{ kind: 'commit', commit: c1 }, `commit '${c1}'`],
    [{ kind: 'commit', commit: c1, branch: 'main' }, `commit '${c1}' on branch 'main'`],
  ])('%j', (ref, want) => {
    expect(describeRef(ref)).toBe(want);
  });
});

describe('parseLsRemote', () => {
  it('folds peeled tag lines into their tag and ignores noise', () => {
    const out = [
      `${c1}\tHEAD`,
      `${c1}\trefs/heads/main`,
      `${c2}\trefs/tags/v1.0.0`,
      `${c1}\trefs/tags/v1.0.0^{}`,
      `${c2}\trefs/tags/light`,
      'warning: redirecting to https://x',
      '',
    ].join('\n');
    const refs = parseLsRemote(out);
    expect([...refs.values()]).toEqual([
      { name: 'HEAD', oid: c1 },
      { name: 'refs/heads/main', oid: c1 },
      { name: 'refs/tags/v1.0.0', oid: c2, peeled: c1 },
      { name: 'refs/tags/light', oid: c2 },
    ]);
    expect(tagNames(refs)).toEqual(['v1.0.0', 'light']);
  });
});

describe('parseTagVersion', () => {
  it.each([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['v1.2', '1.2.0'],
    ['1', '1.0.0'],
    ['v2.0.0-rc.1', '2.0.0-rc.1'],
    ['1.0.0+build.5', '1.0.0'],
    ['release-1', undefined],
    ['01.2.3', undefined],
    ['1.2.3.4', undefined],
    ['latest', undefined],
  ])('%s → %s', (tag, want) => {
    expect(parseTagVersion(tag)?.version).toBe(want);
  });
});

describe('pickSemverTag', () => {
  const tags = ['v1.0.0', 'v1.2.0', 'v1.10', '1.3.0-rc.1', 'v2.0.0', 'latest', 'release-3', '0.9.0'];
  it.each([
    ['>=1.0.0 <2.0.0', 'v1.10'],
    ['>= 1.0.0, < 2.0.0', 'v1.10'],
    ['~1.2', 'v1.2.0'],
    ['^1.0.0', 'v1.10'],
    ['1.x', 'v1.10'],
    ['*', 'v2.0.0'],
    ['>=2.0.0', 'v2.0.0'],
    ['<1.0.0', '0.9.0'],
    ['>=1.3.0-rc.0 <1.4.0', '1.3.0-rc.1'],
    ['>=3.0.0', undefined],
    ['=<1.0.0', 'v1.0.0'],
  ])('%s → %s', (range, want) => {
    expect(pickSemverTag(tags, range)).toBe(want);
  });

  it('is stable between tags of the same version', () => {
    expect(pickSemverTag(['1.0.0', 'v1.0.0'], '*')).toBe('v1.0.0');
    expect(pickSemverTag(['v1.0.0', '1.0.0'], '*')).toBe('v1.0.0');
  });
});

describe('gitRevision', () => {
  it.each([
    ['main', c1, `main@sha1:${c1}`],
    ['v1.0.0', c1, `v1.0.0@sha1:${c1}`],
    ['refs/pull/1/head', c1, `refs/pull/1/head@sha1:${c1}`],
    [undefined, c1, `sha1:${c1}`],
  ])('%s', (name, commit, want) => {
    expect(gitRevision(name, commit)).toBe(want);
  });
});

describe('sparse checkout', () => {
  it('normalizes folders and escapes patterns', () => {
    expect(['deploy/prod', './apps/', '/base', 'we*rd[1]'].map(sparseDir)).toEqual(['deploy/prod', 'apps', 'base', 'we*rd[1]']);
    expect(sparsePatterns(['deploy/prod', './apps/', 'we*rd[1]', '#x'])).toEqual(['/deploy/prod/', '/apps/', '/we\\*rd\\[1\\]/', '/\\#x/']);
  });
  it.each(['', '.', '/', '../x', 'a/../b', 'a//b'])('rejects %j', (dir) => {
    expect(() => sparseDir(dir)).toThrow(ReconcileError);
  });
});
