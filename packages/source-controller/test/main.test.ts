// source-controller as users run it: the real process (src/main.ts) with its flags, against the
// real cluster and git server, serving the artifact on --storage-addr; SIGTERM ends it cleanly.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { GitRepository } from '@eddy/api';
import { createGitRepo, eventually, installEddyCrds, kubeConfig, runCommand, sha256Digest, testEnv, testNamespace } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const main = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'main.ts');

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(args: string[]): { exit: Promise<number | null>; output: () => string; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return { exit: new Promise((r) => child.on('exit', (c) => r(c))), output: () => out, kill: (s) => child.kill(s) };
}

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

describe('source-controller process', () => {
  it('prints its flags with --help and refuses a bad flag in one line', async () => {
    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    expect(help.output()).toContain('--storage-path');
    expect(help.output()).toContain('--watch-all-namespaces');
    const bad = run(['--no-such-flag']);
    expect(await bad.exit).toBe(2);
    expect(bad.output()).toBe('unknown flag: --no-such-flag\n');
  });

  it('reconciles a GitRepository, serves its artifact on --storage-addr, and exits 0 on SIGTERM', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'sc-main');
    const storage = await mkdtemp(join(tmpdir(), 'eddy-sc-main-'));
    try {
      const port = await freePort();
      const p = run([
        `--kubeconfig=${env.kubeconfig}`, '--watch-all-namespaces=false', `--runtime-namespace=${ns}`,
        `--storage-path=${storage}`, `--storage-addr=127.0.0.1:${port}`, `--storage-adv-addr=127.0.0.1:${port}`,
        '--metrics-addr=127.0.0.1:0', '--health-addr=127.0.0.1:0',
      ]);
      const repo = await createGitRepo(env, { public: true });
      const src = await mkdtemp(join(tmpdir(), 'eddy-sc-src-'));
      await runCommand('git', ['init', '--quiet', '--initial-branch=main', src]);
      await runCommand('sh', ['-c', `echo 'kind: ConfigMap' > ${src}/app.yaml`]);
      await runCommand('git', ['-C', src, 'add', '-A']);
      await runCommand('git', ['-C', src, '-c', 'user.name=t', '-c', 'user.email=t@eddy.invalid', 'commit', '--quiet', '-m', 'one']);
      await runCommand('git', ['-C', src, 'push', '--quiet', repo.httpUrlWithAuth, 'main']);
      await rm(src, { recursive: true, force: true });
      const api = kubeConfig(env).makeApiClient(CustomObjectsApi);
      const gvp = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' };
      await api.createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'app' }, spec: { interval: '1h', url: repo.httpUrl, ref: { branch: 'main' } } } });
      const ready = await eventually(async () => {
        const o = (await api.getNamespacedCustomObject({ ...gvp, namespace: ns, name: 'app' })) as GitRepository;
        expect(o.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
        return o;
      }, { timeoutMs: 60_000, description: `GitRepository Ready (controller output: ${p.output().slice(-500)})` });
      const artifact = ready.status!.artifact!;
      expect(artifact.url).toBe(`http://127.0.0.1:${port}/gitrepository/${ns}/app/${artifact.revision.split(':')[1]}.tar.gz`);
      const body = Buffer.from(await (await fetch(artifact.url)).arrayBuffer());
      expect(sha256Digest(body)).toBe(artifact.digest);

      p.kill('SIGTERM');
      expect(await p.exit).toBe(0);
    } finally {
      await rm(storage, { recursive: true, force: true });
    }
  });
});
