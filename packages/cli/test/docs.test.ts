// The CLI pages of docs/ show only command lines that work: every `eddy` line names real
// commands and flags, and every `--export` example prints exactly the YAML shown after it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { repoRoot } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.ts';
import { eddy } from './helpers.ts';

const pages = ['cli.md', 'install.md', 'bootstrap.md'];

/** Every `eddy …` line of the sh blocks of a page, with the yaml block that follows it (if any). */
async function examples(page: string): Promise<{ line: string; yaml?: string }[]> {
  const text = await readFile(join(repoRoot(), 'docs', page), 'utf8');
  const out: { line: string; yaml?: string }[] = [];
  for (const m of text.matchAll(/```sh\n([\s\S]*?)```\n(?:\n```yaml\n([\s\S]*?)```)?/g)) {
    const lines = m[1]!.split('\n').filter((l) => l.startsWith('eddy '));
    lines.forEach((line, i) => out.push({ line, ...(i === lines.length - 1 && m[2] ? { yaml: m[2] } : {}) }));
  }
  return out;
}

/** Checks a command line against the command tree: known commands and flags; returns the problems. */
function problems(line: string): string[] {
  const words = line.replace(/\s+>.*$/, '').split(/\s+/).slice(1);
  let cmd: Command = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '/' });
  const chain: Command[] = [cmd];
  const found: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('-')) {
      const flag = w.split('=')[0]!;
      const option = chain.flatMap((c) => c.options).find((o) => o.long === flag || o.short === flag);
      if (!option) found.push(`unknown flag ${flag}`);
      else if (option.required && !w.includes('=')) i++;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub) {
      cmd = sub;
      chain.push(sub);
    }
  }
  if (cmd.commands.length > 0 && cmd.registeredArguments.length === 0) found.push(`'${chain.map((c) => c.name()).join(' ')}' needs a sub-command`);
  return found;
}

describe('the checker', () => {
  it('finds unknown flags and incomplete commands', () => {
    expect(problems('eddy get ks --bogus')).toEqual(['unknown flag --bogus']);
    expect(problems('eddy create source')).toEqual(["'eddy create source' needs a sub-command"]);
    expect(problems('eddy diff ks apps --path ./x -n team')).toEqual([]);
  });
});

describe('docs examples', () => {
  it.each(pages)('every eddy line of docs/%s names real commands and flags', async (page) => {
    const lines = await examples(page);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.map((e) => ({ line: e.line, problems: problems(e.line) })).filter((e) => e.problems.length)).toEqual([]);
  });

  it('the --export examples print exactly the YAML shown', async () => {
    const shown = (await Promise.all(pages.map(examples))).flat().filter((e) => e.yaml);
    expect(shown.length).toBeGreaterThanOrEqual(2);
    for (const e of shown) {
      const result = await eddy(e.line.split(/\s+/).slice(1));
      expect({ line: e.line, code: result.code, stdout: result.stdout }).toEqual({ line: e.line, code: 0, stdout: e.yaml });
    }
  });
});
