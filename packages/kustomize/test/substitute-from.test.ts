// collectVariables against the real cluster: ConfigMap and Secret references, order, optional ones.
import { ObjectClient, ReconcileError } from '@eddy/runtime';
import { kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { collectVariables } from '../src/substitute.ts';

describe('collectVariables', () => {
  it('merges substituteFrom in order, Secrets decoded, then the inline map wins', async () => {
    const ns = await testNamespace(testEnv(), 'subst');
    const core = kubeConfig(testEnv()).makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'vars' }, data: { a: 'cm', b: 'cm', c: 'cm' } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'secret-vars' }, stringData: { b: 'sécret: yes', d: 'line1\nline2' } } });
    const client = new ObjectClient(kubeConfig(testEnv()));
    const vars = await collectVariables(client, ns, {
      substituteFrom: [
        { kind: 'ConfigMap', name: 'vars' },
        { kind: 'Secret', name: 'secret-vars' },
        { kind: 'ConfigMap', name: 'absent', optional: true },
      ],
      substitute: { c: 'inline' },
    });
    expect(vars).toEqual({ a: 'cm', b: 'sécret: yes', c: 'inline', d: 'line1\nline2' });
  });

  it('a missing non-optional reference is a BuildFailed ReconcileError naming it', async () => {
    const ns = await testNamespace(testEnv(), 'subst');
    const client = new ObjectClient(kubeConfig(testEnv()));
    const err: unknown = await collectVariables(client, ns, { substituteFrom: [{ kind: 'Secret', name: 'nope' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'BuildFailed', message: `substitute from 'Secret/nope' error: secret '${ns}/nope' not found` });
  });

  it('no postBuild means no variables', async () => {
    expect(await collectVariables(new ObjectClient(kubeConfig(testEnv())), 'default', undefined)).toEqual({});
  });
});
