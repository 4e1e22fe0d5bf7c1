/**
 * kwok's fake Nodes. kwok creates none of its own: the environment creates `v1.Node` objects
 * annotated `kwok.x-k8s.io/node: fake`, and kwok (with `--manage-all-nodes`) keeps them Ready
 * and marks the Pods bound to them Running.
 */
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';

function kwokNode(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '64', memory: '256Gi', pods: '2000' },
      capacity: { cpu: '64', memory: '256Gi', pods: '2000' },
      nodeInfo: {
        architecture: 'amd64',
        bootID: '',
        containerRuntimeVersion: 'kwok',
        kernelVersion: '',
        kubeProxyVersion: 'fake',
        kubeletVersion: 'fake',
        machineID: '',
        operatingSystem: 'linux',
        osImage: '',
        systemUUID: '',
      },
    },
  };
}

function coreApi(kubeconfig: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(CoreV1Api);
}

/** Creates `count` kwok Nodes named `kwok-node-<i>`; returns their names. */
export async function createKwokNodes(kubeconfig: string, count: number): Promise<string[]> {
  const api = coreApi(kubeconfig);
  const names = Array.from({ length: count }, (_, i) => `kwok-node-${i}`);
  await Promise.all(names.map((name) => api.createNode({ body: kwokNode(name) })));
  return names;
}

/** Whether every named Node reports Ready=True. */
export async function waitNodesReady(kubeconfig: string, names: string[]): Promise<boolean> {
  const api = coreApi(kubeconfig);
  const list = await api.listNode();
  return names.every((n) => {
    const node = list.items.find((i) => i.metadata?.name === n);
    return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
}
