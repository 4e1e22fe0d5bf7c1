// `eddy get`: the flux CLI's columns over the kinds table, against objects in the real cluster.
import { installEddyCrds, testEnv, testNamespace } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWithStatus, eddy, readyCondition } from './helpers.ts';

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

/** A GitRepository with a Ready status and an artifact. */
async function gitRepository(ns: string, name: string, ready: 'True' | 'False', suspend = false): Promise<void> {
  await createWithStatus(
    { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name, namespace: ns }, spec: { interval: '1m', url: 'https://example.invalid/x.git', suspend } },
    {
      observedGeneration: 1,
      conditions: [ready === 'True' ? readyCondition('True', 'Succeeded', "stored artifact for revision 'main@sha1:abc'") : readyCondition('False', 'GitOperationFailed', 'failed to checkout')],
      ...(ready === 'True' ? { artifact: { revision: 'main@sha1:abc', digest: `sha256:${'a'.repeat(64)}`, path: 'x.tar.gz', url: 'http://x/x.tar.gz', lastUpdateTime: new Date().toISOString() } } : {}),
    },
  );
}

describe('eddy get', () => {
  it('prints NAME REVISION SUSPENDED READY MESSAGE for a kind, and one object by name', async () => {
    const ns = await testNamespace(testEnv(), 'cli-get');
    await gitRepository(ns, 'apps', 'True');
    await gitRepository(ns, 'broken', 'False', true);

    const all = await eddy(['get', 'sources', 'git', '-n', ns]);
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n').map((l) => l.split(/\s{3,}/))).toEqual([
      ['NAME', 'REVISION', 'SUSPENDED', 'READY', 'MESSAGE'],
      ['apps', 'main@sha1:abc', 'False', 'True', "stored artifact for revision 'main@sha1:abc'"],
      ['broken', '', 'True', 'False', 'failed to checkout'].filter(Boolean),
      [''],
    ]);

    const one = await eddy(['get', 'source', 'git', 'broken', '-n', ns, '--no-header']);
    expect(one.stdout).toMatch(/^broken\s+True\s+False\s+failed to checkout\n$/);

    const failing = await eddy(['get', 'source', 'git', '-n', ns, '--status-selector', 'ready=false', '--no-header']);
    expect(failing.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['broken']);
  });

  it('get all lists each kind with objects as kind/name, and -A adds NAMESPACE', async () => {
    const ns = await testNamespace(testEnv(), 'cli-get');
    await gitRepository(ns, 'fleet', 'True');
    await createWithStatus(
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: ns }, spec: { interval: '5m', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } } },
      { observedGeneration: 1, lastAppliedRevision: 'main@sha1:abc', conditions: [readyCondition('True', 'ReconciliationSucceeded', 'Applied revision: main@sha1:abc')] },
    );
    const all = await eddy(['get', 'all', '-n', ns]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^NAME\s+REVISION\s+SUSPENDED\s+READY\s+MESSAGE\ngitrepository\/fleet\s+main@sha1:abc\s+False\s+True\s+stored artifact.*\n\nNAME\s+REVISION\s+SUSPENDED\s+READY\s+MESSAGE\nkustomization\/apps\s+main@sha1:abc\s+False\s+True\s+Applied revision: main@sha1:abc\n$/);

    const everywhere = await eddy(['get', 'kustomizations', '-A']);
    expect(everywhere.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+REVISION/);
    expect(everywhere.stdout).toMatch(new RegExp(`\\n${ns}\\s+apps\\s+main@sha1:abc\\s+False\\s+True`));
  });

  it('says so on stderr when there is nothing, and fails on one line for a missing object', async () => {
    const ns = await testNamespace(testEnv(), 'cli-get');
    const none = await eddy(['get', 'ks', '-n', ns]);
    expect(none).toEqual({ code: 0, stdout: '', stderr: `✗ no Kustomization objects found in ${ns} namespace\n` });
    const missing = await eddy(['get', 'kustomization', 'nope', '-n', ns]);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: `✗ Kustomization 'nope' not found in namespace '${ns}'\n` });
  });
});
