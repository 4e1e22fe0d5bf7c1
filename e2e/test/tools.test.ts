// The real tools are the pinned versions (e2e/tools.json), version-stamped by the build, and
// `kustomize build` renders an overlay.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, runCommand, testEnv } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';

interface Manifest {
  go: Record<string, { version: string }>;
}

describe('pinned tools', () => {
  it('report the versions the manifest pins', async () => {
    const env = testEnv();
    const pins = (JSON.parse(await readFile(join(repoRoot(), 'e2e', 'tools.json'), 'utf8')) as Manifest).go;
    const version = (name: string): string => pins[name]?.version ?? 'unpinned';
    expect(await runCommand(env.tools.kustomize, ['version'])).toContain(version('kustomize'));
    expect(await runCommand(env.tools.helm, ['version', '--short'])).toContain(version('helm'));
    expect(await runCommand(env.tools.helm4, ['version', '--short'])).toContain(version('helm4'));
    expect(await runCommand(env.tools.sops, ['--version', '--disable-version-check'])).toContain(version('sops').slice(1));
    expect(await runCommand(env.tools.kwok, ['--version'])).toContain(version('kwok'));
    expect(env.kube.gitVersion).toBe(version('kubernetes'));
  });
});

describe('kustomize build', () => {
  it('renders an overlay over a base', async () => {
    const env = testEnv();
    const dir = await mkdtemp(join(tmpdir(), 'eddy-kustomize-'));
    try {
      await mkdir(join(dir, 'base'));
      await mkdir(join(dir, 'overlays', 'production'), { recursive: true });
      await writeFile(join(dir, 'base', 'kustomization.yaml'), 'resources:\n  - configmap.yaml\n');
      await writeFile(join(dir, 'base', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: debug\n');
      await writeFile(
        join(dir, 'overlays', 'production', 'kustomization.yaml'),
        [
          'resources:',
          '  - ../../base',
          'namePrefix: prod-',
          'namespace: production',
          'labels:',
          '  - pairs: { env: production }',
          'patches:',
          '  - patch: |-',
          '      apiVersion: v1',
          '      kind: ConfigMap',
          '      metadata: { name: settings }',
          '      data: { level: info }',
          '',
        ].join('\n'),
      );
      const out = await runCommand(env.tools.kustomize, ['build', join(dir, 'overlays', 'production')]);
      const docs = parseAllDocuments(out).map((d) => d.toJS() as unknown);
      expect(docs).toEqual([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'prod-settings', namespace: 'production', labels: { env: 'production' } },
          data: { level: 'info' },
        },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sops with age', () => {
  it('encrypts a Secret for an age recipient and decrypts it with the key', async () => {
    const env = testEnv();
    const dir = await mkdtemp(join(tmpdir(), 'eddy-sops-'));
    try {
      const keyFile = join(dir, 'age.key');
      await runCommand(env.tools['age-keygen'], ['-o', keyFile]);
      const recipient = /public key: (age1[0-9a-z]+)/.exec(await readFile(keyFile, 'utf8'))?.[1];
      expect(recipient).toBeDefined();
      const plain = join(dir, 'secret.yaml');
      await writeFile(plain, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n');
      const encrypted = await runCommand(env.tools.sops, ['--encrypt', '--age', recipient!, '--encrypted-regex', '^(data|stringData)$', plain]);
      expect(encrypted).not.toContain('hunter2');
      expect(encrypted).toContain(recipient!);
      await writeFile(join(dir, 'secret.enc.yaml'), encrypted);
      const decrypted = await runCommand(env.tools.sops, ['--decrypt', join(dir, 'secret.enc.yaml')], {
        env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile },
      });
      expect(parseAllDocuments(decrypted)[0]?.toJS()).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'hunter2' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
