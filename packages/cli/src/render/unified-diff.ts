/**
 * A unified diff of two texts (`diff -u` style, 3 lines of context), from a longest-common-
 * subsequence table of their lines. Objects are small (YAML of one Kubernetes object), so the
 * quadratic table is bounded by refusing texts over {@link maxDiffLines} lines.
 */

/** Longest text (in lines) diffed line by line; longer ones are shown as replaced whole. */
export const maxDiffLines = 5_000;

type Op = { op: ' ' | '-' | '+'; line: string; a: number; b: number };

/** The edit script turning `a` into `b`: kept, removed and added lines in order. */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  if (a.length > maxDiffLines || b.length > maxDiffLines) {
    return [...a.map((line, i): Op => ({ op: '-', line, a: i, b: 0 })), ...b.map((line, j): Op => ({ op: '+', line, a: a.length, b: j }))];
  }
  // lcs[i][j]: length of the LCS of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ op: ' ', line: a[i++]!, a: i - 1, b: j++ });
    // Removals before additions, as diff -u prints a replaced line.
    else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: '-', line: a[i++]!, a: i - 1, b: j });
    else ops.push({ op: '+', line: b[j++]!, a: i, b: j - 1 });
  }
  return ops;
}

/**
 * The unified diff of `before` and `after` under the headers `--- fromName` / `+++ toName`,
 * or '' when they are equal.
 */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string, context = 3): string {
  if (before === after) return '';
  const split = (t: string): string[] => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
  const ops = editScript(split(before), split(after));
  const out = [`--- ${fromName}`, `+++ ${toName}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.op === ' ') {
      k++;
      continue;
    }
    // A hunk: from `context` kept lines before this change to `context` after the last change near it.
    const start = Math.max(0, k - context);
    let end = k;
    for (let m = k; m < ops.length; m++) {
      if (ops[m]!.op !== ' ') end = m;
      else if (m - end > 2 * context) break;
    }
    end = Math.min(ops.length - 1, end + context);
    const hunk = ops.slice(start, end + 1);
    const aCount = hunk.filter((o) => o.op !== '+').length;
    const bCount = hunk.filter((o) => o.op !== '-').length;
    const aStart = aCount ? hunk.find((o) => o.op !== '+')!.a + 1 : hunk[0]!.a;
    const bStart = bCount ? hunk.find((o) => o.op !== '-')!.b + 1 : hunk[0]!.b;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`, ...hunk.map((o) => `${o.op}${o.line}`));
    k = end + 1;
  }
  return `${out.join('\n')}\n`;
}
