// The unified diff eddy diff prints, and the masking of Secret values in it.
import { describe, expect, it } from 'vitest';
import { maskSecret } from '../../src/render/mask.ts';
import { unifiedDiff } from '../../src/render/unified-diff.ts';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y')).toBe('');
  });

  it('prints one hunk with three lines of context, removals before additions', () => {
    const before = ['1', '2', '3', '4', 'old', '6', '7', '8', '9'].join('\n');
    const after = ['1', '2', '3', '4', 'new', '6', '7', '8', '9'].join('\n');
    expect(unifiedDiff(before, after, 'a (cluster)', 'a (local)')).toBe(['--- a (cluster)', '+++ a (local)', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-old', '+new', ' 6', ' 7', ' 8', ''].join('\n'));
  });

  it('splits distant changes into hunks and shows a created object whole', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const changed = lines.map((l, i) => (i === 1 || i === 18 ? `${l}!` : l));
    expect(unifiedDiff(lines.join('\n'), changed.join('\n'), 'a', 'b').match(/^@@ .* @@$/gm)).toEqual(['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
    expect(unifiedDiff('', 'x: 1\ny: 2\n', '/dev/null', 'b')).toBe('--- /dev/null\n+++ b\n@@ -0,0 +1,2 @@\n+x: 1\n+y: 2\n');
  });
});

describe('maskSecret', () => {
  const secret = (data: Record<string, string>): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data });

  it('masks every value, marking the ones that change', () => {
    const live = secret({ same: 'YQ==', changed: 'Yg==', gone: 'Yw==' });
    const local = secret({ same: 'YQ==', changed: 'ZA==', added: 'ZQ==' });
    expect(maskSecret(live, local, 'before')['data']).toEqual({ same: '****', changed: '**** (before)', gone: '****' });
    expect(maskSecret(local, live, 'after')['data']).toEqual({ same: '****', changed: '**** (after)', added: '****' });
  });

  it('leaves other kinds alone', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    expect(maskSecret(cm)).toBe(cm);
  });
});
