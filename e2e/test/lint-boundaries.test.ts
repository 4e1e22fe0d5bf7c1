// The architecture's dependency rule is enforced by `nx lint`: a controller importing another
// controller fails, importing a shared library passes. Checked in a scratch workspace that
// uses this repository's nx.json, eslint.config.js and node_modules.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCommand } from '@eddy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let ws: string;

async function project(name: string, tag: string, source: string): Promise<void> {
  const dir = join(ws, 'packages', name);
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: `@eddy/${name}`, version: '0.0.0', type: 'module', exports: './src/index.ts', scripts: { lint: 'eslint src' }, nx: { tags: [tag] } }),
  );
  await writeFile(join(dir, 'src', 'index.ts'), source);
}

async function lint(projectName: string): Promise<{ ok: boolean; output: string }> {
  try {
    const output = await runCommand(join(ws, 'node_modules', '.bin', 'nx'), ['run', `@eddy/${projectName}:lint`, '--skip-nx-cache'], {
      cwd: ws,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      timeoutMs: 120_000,
    });
    return { ok: true, output };
  } catch (err) {
    return { ok: false, output: err instanceof Error ? err.message : String(err) };
  }
}

beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'eddy-lint-'));
  const root = repoRoot();
  for (const f of ['nx.json', 'eslint.config.js', 'tsconfig.base.json']) await cp(join(root, f), join(ws, f));
  await writeFile(join(ws, 'package.json'), JSON.stringify({ name: 'lint-probe', private: true, type: 'module', workspaces: ['packages/*'] }));
  await symlink(join(root, 'node_modules'), join(ws, 'node_modules'));
  await project('probe-api', 'type:api', 'export const group = "source.toolkit.fluxcd.io";\n');
  await project('probe-b-controller', 'type:controller', 'export const b = 1;\n');
  await project('probe-a-controller', 'type:controller', "import { group } from '@eddy/probe-api';\nexport const a = group;\n");
  await project('probe-c-controller', 'type:controller', "import { b } from '@eddy/probe-b-controller';\nexport const c = b;\n");
});

afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});

describe('nx module boundaries', () => {
  it('passes a controller that imports a shared library', async () => {
    const result = await lint('probe-a-controller');
    expect(result.output).not.toMatch(/enforce-module-boundaries/);
    expect(result.ok).toBe(true);
  });

  it('fails a controller that imports another controller', async () => {
    const result = await lint('probe-c-controller');
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/@nx\/enforce-module-boundaries/);
    expect(result.output).toMatch(/type:controller/);
  });
});
