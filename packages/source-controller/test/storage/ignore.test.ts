import { afterEach, describe, expect, it } from 'vitest';
import { loadIgnoreRules, readPatterns, scopePattern } from '../../src/storage/ignore.ts';
import { removeTempDirs, tempDir, writeTree, type Tree } from './helpers.ts';

afterEach(removeTempDirs);

describe('scopePattern', () => {
  it.each([
    ['foo', '', 'foo'],
    ['/foo', '', '/foo'],
    ['foo', 'a/b', '/a/b/**/foo'],
    ['*.yaml', 'a', '/a/**/*.yaml'],
    ['foo/', 'a', '/a/**/foo/'],
    ['/foo', 'a', '/a/foo'],
    ['foo/bar', 'a', '/a/foo/bar'],
    ['foo/bar/', 'a', '/a/foo/bar/'],
    ['**/foo', 'a', '/a/**/foo'],
    ['!foo', 'a', '!/a/**/foo'],
    ['!/foo/bar', 'a', '!/a/foo/bar'],
  ])('%s in %j becomes %s', (pattern, domain, expected) => {
    expect(scopePattern(pattern, domain)).toBe(expected);
  });
});

describe('readPatterns', () => {
  it('drops comments and blank lines, and CRs', () => {
    expect(readPatterns('# comment\r\n*.md\r\n\n  \n!keep.md\n\\#literal\n')).toEqual(['*.md', '!keep.md', '\\#literal']);
  });
});

/** Each case: a tree, spec.ignore, and the (path, isDir) → excluded answers expected. */
const cases: { name: string; tree: Tree; specIgnore?: string; expect: [string, boolean, boolean][] }[] = [
  {
    name: 'default exclusions',
    tree: { 'README.md': '' },
    expect: [
      ['.git', true, true],
      ['sub/.git', true, true],
      ['.git', false, false], // a file named .git (a submodule pointer) is not the .git/ folder
      ['.gitignore', false, true],
      ['.gitmodules', false, true],
      ['.gitattributes', false, true],
      ['logo.png', false, true],
      ['img/a.JPG', false, false], // case-sensitive, as git on Linux
      ['img/a.jpg', false, true],
      ['dist/app.tar.gz', false, true],
      ['a.zip', false, true],
      ['.github', true, true],
      ['.circleci', true, true],
      ['.travis.yml', false, true],
      ['.gitlab-ci.yml', false, true],
      ['appveyor.yml', false, true],
      ['.drone.yml', false, true],
      ['cloudbuild.yaml', false, true],
      ['codeship-services.yml', false, true],
      ['codeship-steps.yml', false, true],
      ['deep/er/.goreleaser.yml', false, true],
      ['deploy/.sops.yaml', false, true],
      ['.flux.yaml', false, true],
      ['README.md', false, false],
      ['deploy', true, false],
      ['deploy/app.yaml', false, false],
    ],
  },
  {
    name: 'spec.ignore replaces the defaults but not the VCS exclusions',
    tree: {},
    specIgnore: '/*\n!/deploy\n',
    expect: [
      ['.git', true, true],
      ['.gitignore', false, true],
      ['README.md', false, true],
      ['deploy', true, false],
      ['deploy/.sops.yaml', false, false],
      ['deploy/logo.png', false, false],
    ],
  },
  {
    name: 'an empty spec.ignore still replaces the defaults',
    tree: {},
    specIgnore: '',
    expect: [
      ['.git', true, true],
      ['.github', true, false],
      ['logo.png', false, false],
    ],
  },
  {
    name: '.sourceignore files extend the defaults, each relative to its folder',
    tree: {
      '.sourceignore': '*.md\n',
      'deploy/.sourceignore': 'secret.yaml\n/local-only/\n',
      'img/.sourceignore': '!logo.png\n',
    },
    expect: [
      ['README.md', false, true],
      ['docs/guide.md', false, true],
      ['deploy/secret.yaml', false, true],
      ['deploy/nested/secret.yaml', false, true],
      ['secret.yaml', false, false],
      ['deploy/local-only', true, true],
      ['local-only', true, false],
      ['deploy/nested/local-only', true, false],
      ['img/logo.png', false, false],
      ['other/logo.png', false, true],
      ['.sourceignore', false, false],
    ],
  },
  {
    name: 'spec.ignore overrules .sourceignore',
    tree: { '.sourceignore': '*.md\n' },
    specIgnore: '!README.md\n',
    expect: [
      ['README.md', false, false],
      ['CHANGES.md', false, true],
    ],
  },
  {
    name: '.sourceignore inside .git is not read',
    tree: { '.git/.sourceignore': '*.yaml\n' },
    expect: [['app.yaml', false, false]],
  },
];

describe('loadIgnoreRules', () => {
  it.each(cases)('$name', async ({ tree, specIgnore, expect: expected }) => {
    const root = await tempDir();
    await writeTree(root, tree);
    const ignored = await loadIgnoreRules(root, specIgnore);
    const actual = expected.map(([path, isDir]) => [path, isDir, ignored(path, isDir)]);
    expect(actual).toEqual(expected);
  });

  it('refuses an oversized .sourceignore', async () => {
    const root = await tempDir();
    await writeTree(root, { 'a/.sourceignore': 'x'.repeat(100) });
    await expect(loadIgnoreRules(root, undefined, { maxFileSize: 10 })).rejects.toThrow(/\.sourceignore is 100 bytes, larger than the 10 bytes/);
  });

  it('honours an aborted signal', async () => {
    const root = await tempDir();
    await expect(loadIgnoreRules(root, undefined, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });
});
