/** The CLI's version (its package.json) and the folders of the checkout it ships with. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI package's folder: the nearest ancestor of this file with the package.json of @eddy/cli (works from src/ and dist/). */
export function cliPackageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@eddy/cli') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json of @eddy/cli above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/**
 * The folder holding Eddy's packages (api, the controllers, cli). The CLI reads data files
 * there — CRDs, each controller's generated RBAC, controller entry points for `eddy run` —
 * never their code.
 */
export function packagesDir(): string {
  return dirname(cliPackageDir());
}

/** The CLI's version, e.g. `0.0.0`. */
export const cliVersion: string = (JSON.parse(readFileSync(join(cliPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
