// The controllers' bundles, what their images run: each one builds, starts and parses its
// flags without anything from node_modules beside it, and the Dockerfiles start it with the
// V8 flags e2e/bundle.ts names.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCommand } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { bundleController, controllerV8Flags, controllers } from '../bundle.ts';

/** The `--help` line each controller must print: a flag of its own. */
const ownFlag: Record<(typeof controllers)[number], string> = {
  'source-controller': '--storage-path',
  'kustomize-controller': '--kustomize-bin',
};

describe.each(controllers)('%s bundle', (controller) => {
  it('runs alone, away from the checkout and its node_modules', async () => {
    const bundle = await bundleController(controller);
    const dir = await mkdtemp(join(tmpdir(), `eddy-bundle-${controller}-`));
    try {
      await copyFile(bundle, join(dir, 'main.mjs'));
      const help = await runCommand(process.execPath, [...controllerV8Flags, join(dir, 'main.mjs'), '--help'], { timeoutMs: 30_000, cwd: dir });
      expect(help).toContain(ownFlag[controller]);
      expect(help).toContain('--kube-api-qps');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is what the Dockerfile runs, with the V8 flags of e2e/bundle.ts', async () => {
    const dockerfile = await readFile(join(repoRoot(), 'packages', controller, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`node e2e/bundle.ts ${controller}`);
    expect(dockerfile).toContain(`COPY --from=bundle /src/packages/${controller}/dist/bundle/ ./`);
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', ...controllerV8Flags, 'main.mjs']);
  });
});
