/**
 * Bundles a controller's entry point into one minified ES module, `packages/<controller>/dist/
 * bundle/main.mjs`: what its image runs and what `npm run bench:mttp` measures.
 *
 *   scripts/node24 node e2e/bundle.ts [controller ...]   (default: every controller)
 *
 * Why: Node.js keeps the source text of every module it loads on the heap. Run from its
 * sources, a controller loads all of @kubernetes/client-node's generated API clients (about
 * 27 MiB of source, most of it never called) and type-strips its own TypeScript with a
 * WebAssembly compiler; the bundle keeps only what is reachable. Idle, kustomize-controller
 * takes about 114 MiB of RSS bundled against 168 MiB from its sources.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/**
 * The V8 flags the images start controllers with (their Dockerfiles' ENTRYPOINT; a test keeps
 * them equal): memory over speed. A young generation of 4 MiB semi-spaces instead of V8's
 * default of up to 64 MiB (a controller's garbage is short-lived request and response
 * objects; a larger nursery only holds more of it), V8's size optimisations, and an old
 * generation that grows by half instead of V8's larger steps. With them the 1,000-app
 * benchmark's kustomize-controller peaked at 208 MiB instead of 323 MiB, for about a third
 * more CPU (docs/benchmarks.md).
 */
export const controllerV8Flags = ['--max-semi-space-size=4', '--optimize-for-size', '--heap-growing-percent=50'] as const;

/** The controllers with an entry point, by package folder. */
export const controllers = ['source-controller', 'kustomize-controller'] as const;

/** Bundles one controller and returns the bundle's path. */
export async function bundleController(controller: string, checkout: string = root): Promise<string> {
  const outfile = join(checkout, 'packages', controller, 'dist', 'bundle', 'main.mjs');
  await build({
    entryPoints: [join(checkout, 'packages', controller, 'src', 'main.ts')],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'warning',
    // Some dependencies are CommonJS and call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as eddyCreateRequire } from 'node:module'; const require = eddyCreateRequire(import.meta.url);" },
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wanted = process.argv.slice(2);
  for (const c of wanted) {
    if (!(controllers as readonly string[]).includes(c)) {
      console.error(`unknown controller '${c}' (known: ${controllers.join(', ')})`);
      process.exit(2);
    }
  }
  for (const c of wanted.length ? wanted : controllers) console.log(await bundleController(c));
}
