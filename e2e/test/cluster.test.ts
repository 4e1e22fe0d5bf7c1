// The local cluster is a real one: version-stamped API server, kwok Nodes, and the
// controller-manager + scheduler + kwok chain that makes a Deployment Available.
import { AppsV1Api, CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';

describe('local cluster', () => {
  it('reports the pinned Kubernetes version and has at least two Ready kwok Nodes', async () => {
    const env = testEnv();
    const kc = kubeConfig(env);
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.34\.\d+$/);
    expect(version.major).toBe('1');
    expect(version.minor).toBe('34');

    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    const kwokReady = nodes.items.filter(
      (n) =>
        n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake' &&
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(kwokReady.length).toBeGreaterThanOrEqual(2);
  });

  it('turns a Deployment into a ReplicaSet and Running Pods on kwok Nodes, and reports it Available', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'deploy');
    const kc = kubeConfig(env);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
        },
      },
    });

    const deployment = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        const available = d.status?.conditions?.find((c) => c.type === 'Available');
        if (available?.status !== 'True' || d.status?.availableReplicas !== 3) {
          throw new Error(`not available yet: ${JSON.stringify(d.status)}`);
        }
        return d;
      },
      { timeoutMs: 90_000, description: 'Deployment web Available' },
    );
    expect(deployment.status?.readyReplicas).toBe(3);

    const replicaSets = await apps.listNamespacedReplicaSet({ namespace: ns });
    expect(replicaSets.items).toHaveLength(1);
    expect(replicaSets.items[0]?.metadata?.ownerReferences?.[0]?.name).toBe('web');

    const pods = await core.listNamespacedPod({ namespace: ns });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(env.kube.nodes).toContain(pod.spec?.nodeName);
    }
  });
});
