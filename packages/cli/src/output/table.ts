/** Aligned text tables, as `eddy get` and `eddy events` print them (kubectl's spacing). */

/** Formats rows under a header, each column padded to its widest cell; no header when `header` is empty. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = header.length ? [header, ...rows] : [...rows];
  if (all.length === 0) return '';
  const widths: number[] = [];
  for (const r of all) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   ').trimEnd()).join('\n') + '\n';
}
