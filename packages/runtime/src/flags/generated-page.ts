/** Writing, or checking, a documentation page generated from code (flag references and the like). */
import { readFile, writeFile } from 'node:fs/promises';

/**
 * With `--check` in `argv`, exits 1 naming the page and `regenerate` when the committed file
 * differs from `content`; otherwise writes it. For the `import.meta.main` block of a codegen script.
 */
export async function writeOrCheckGeneratedPage(path: string, content: string, argv: readonly string[], regenerate: string): Promise<void> {
  if (argv.includes('--check')) {
    if ((await readFile(path, 'utf8').catch(() => '')) !== content) {
      console.error(`${path} is out of date: run ${regenerate}`);
      process.exit(1);
    }
  } else {
    await writeFile(path, content);
  }
}
