import { describe, expect, it } from 'vitest';
import { computeStatus, type StatusResult } from '../../src/health/kstatus.ts';

type Obj = Record<string, unknown>;

const cond = (type: string, status: string, reason = '', message = '') => ({ type, status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' });

const deployment = (spec: Obj, status: Obj, generation = 2): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', generation },
  spec: { replicas: 2, progressDeadlineSeconds: 600, ...spec },
  status: { observedGeneration: generation, ...status },
});

const healthyDeploymentStatus = {
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
  conditions: [cond('Available', 'True', 'MinimumReplicasAvailable'), cond('Progressing', 'True', 'NewReplicaSetAvailable')],
};

const statefulSet = (spec: Obj, status: Obj): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db', namespace: 'apps', generation: 1 },
  spec: { replicas: 3, ...spec },
  status: { observedGeneration: 1, ...status },
});

const daemonSet = (status: Obj, generation: number | null = 1): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'kube-system', ...(generation === null ? {} : { generation }) },
  spec: {},
  status,
});

const replicaSet = (status: Obj): Obj => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'apps', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, ...status } });

const now = new Date('2026-01-01T00:01:00Z');
const pod = (status: Obj, createdAt = '2026-01-01T00:00:00Z'): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'apps', creationTimestamp: createdAt }, spec: {}, status });

const job = (spec: Obj, status: Obj): Obj => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'apps', generation: 1 }, spec, status });

const crd = (conditions: Obj[]): Obj => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.test.eddy.dev', generation: 1 }, spec: {}, status: { conditions } });

const widget = (status: Obj, generation = 3): Obj => ({ apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'apps', generation }, spec: {}, status });

interface Case {
  what: string;
  obj: Obj;
  want: StatusResult;
}

const cases: Case[] = [
  // Generic rules.
  {
    what: 'deletionTimestamp → Terminating, before anything else',
    obj: { ...deployment({}, healthyDeploymentStatus), metadata: { name: 'web', namespace: 'apps', generation: 2, deletionTimestamp: '2026-01-01T00:00:00Z' } },
    want: { status: 'Terminating', message: 'Resource scheduled for deletion' },
  },
  {
    what: 'generation not observed → InProgress',
    obj: deployment({}, { ...healthyDeploymentStatus, observedGeneration: 1 }, 2),
    want: { status: 'InProgress', message: 'Deployment generation is 2, but latest observed generation is 1' },
  },
  {
    what: 'Reconciling=True → InProgress with its message',
    obj: widget({ observedGeneration: 3, conditions: [cond('Reconciling', 'True', 'Progressing', 'Building manifests'), cond('Ready', 'Unknown', 'Progressing', 'Reconciliation in progress')] }),
    want: { status: 'InProgress', message: 'Building manifests' },
  },
  {
    what: 'Stalled=True → Failed with its message',
    obj: widget({ observedGeneration: 3, conditions: [cond('Ready', 'False', 'InvalidPath', 'path not found'), cond('Stalled', 'True', 'InvalidPath', 'path ./x not found')] }),
    want: { status: 'Failed', message: 'path ./x not found' },
  },
  {
    what: 'Stalled=False and Reconciling=False are ignored',
    obj: widget({ observedGeneration: 3, conditions: [cond('Stalled', 'False'), cond('Reconciling', 'False'), cond('Ready', 'True', 'Succeeded', 'ok')] }),
    want: { status: 'Current', message: 'Resource is Ready' },
  },
  {
    what: 'CR Ready=True → Current',
    obj: widget({ observedGeneration: 3, conditions: [cond('Ready', 'True', 'Succeeded', 'Applied revision: main@sha1:abc')] }),
    want: { status: 'Current', message: 'Resource is Ready' },
  },
  {
    what: 'CR Ready=False → InProgress with its message',
    obj: widget({ observedGeneration: 3, conditions: [cond('Ready', 'False', 'ArtifactFailed', 'artifact not found')] }),
    want: { status: 'InProgress', message: 'artifact not found' },
  },
  {
    what: 'CR Ready=Unknown → InProgress',
    obj: widget({ observedGeneration: 3, conditions: [cond('Ready', 'Unknown', 'Progressing', 'working')] }),
    want: { status: 'InProgress', message: 'working' },
  },
  {
    what: 'CR Ready=True but old observedGeneration → InProgress',
    obj: widget({ observedGeneration: 2, conditions: [cond('Ready', 'True', 'Succeeded', 'ok')] }),
    want: { status: 'InProgress', message: 'Widget generation is 3, but latest observed generation is 2' },
  },
  {
    what: 'CR without status → Current',
    obj: widget({}),
    want: { status: 'Current', message: 'Resource is current' },
  },
  {
    what: 'unknown kind without conditions → Current',
    obj: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i', namespace: 'a', generation: 1 }, spec: {} },
    want: { status: 'Current', message: 'Resource is current' },
  },
  {
    what: 'malformed conditions are ignored',
    obj: widget({ conditions: [{ type: 1 }, 'x', null, { status: 'True' }] }),
    want: { status: 'Current', message: 'Resource is current' },
  },

  // Deployment.
  { what: 'Deployment available', obj: deployment({}, healthyDeploymentStatus), want: { status: 'Current', message: 'Deployment is available. Replicas: 2' } },
  {
    what: 'Deployment progress deadline exceeded → Failed',
    obj: deployment({}, { replicas: 2, updatedReplicas: 2, conditions: [cond('Available', 'False', 'MinimumReplicasUnavailable'), cond('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-1" has timed out progressing.')] }),
    want: { status: 'Failed', message: 'Progress deadline exceeded' },
  },
  { what: 'Deployment without status', obj: deployment({}, {}), want: { status: 'InProgress', message: 'Replicas: 0/2' } },
  { what: 'Deployment default one replica', obj: deployment({ replicas: undefined }, {}), want: { status: 'InProgress', message: 'Replicas: 0/1' } },
  { what: 'Deployment not updated', obj: deployment({}, { ...healthyDeploymentStatus, updatedReplicas: 1 }), want: { status: 'InProgress', message: 'Updated: 1/2' } },
  { what: 'Deployment old pods terminating', obj: deployment({}, { ...healthyDeploymentStatus, replicas: 3 }), want: { status: 'InProgress', message: 'Pending termination: 1' } },
  { what: 'Deployment not available', obj: deployment({}, { ...healthyDeploymentStatus, availableReplicas: 1 }), want: { status: 'InProgress', message: 'Available: 1/2' } },
  { what: 'Deployment not ready', obj: deployment({}, { ...healthyDeploymentStatus, readyReplicas: 1 }), want: { status: 'InProgress', message: 'Ready: 1/2' } },
  {
    what: 'Deployment rollout still progressing (ReplicaSetUpdated)',
    obj: deployment({}, { ...healthyDeploymentStatus, conditions: [cond('Available', 'True'), cond('Progressing', 'True', 'ReplicaSetUpdated')] }),
    want: { status: 'InProgress', message: 'ReplicaSet not Available' },
  },
  {
    what: 'Deployment without Available condition',
    obj: deployment({}, { ...healthyDeploymentStatus, conditions: [cond('Progressing', 'True', 'NewReplicaSetAvailable')] }),
    want: { status: 'InProgress', message: 'Deployment not Available' },
  },
  {
    what: 'Deployment without progressDeadlineSeconds needs no Progressing',
    obj: deployment({ progressDeadlineSeconds: undefined }, { ...healthyDeploymentStatus, conditions: [cond('Available', 'True')] }),
    want: { status: 'Current', message: 'Deployment is available. Replicas: 2' },
  },
  { what: 'Deployment scaled to zero', obj: deployment({ replicas: 0 }, { conditions: [cond('Available', 'True'), cond('Progressing', 'True', 'NewReplicaSetAvailable')] }), want: { status: 'Current', message: 'Deployment is available. Replicas: 0' } },

  // StatefulSet.
  {
    what: 'StatefulSet ready',
    obj: statefulSet({}, { replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'db-1', updateRevision: 'db-1' }),
    want: { status: 'Current', message: 'All replicas scheduled as expected. Replicas: 3' },
  },
  { what: 'StatefulSet OnDelete', obj: statefulSet({ updateStrategy: { type: 'OnDelete' } }, {}), want: { status: 'Current', message: 'StatefulSet is using the ondelete update strategy' } },
  { what: 'StatefulSet too few replicas', obj: statefulSet({}, { replicas: 1 }), want: { status: 'InProgress', message: 'Replicas: 1/3' } },
  { what: 'StatefulSet not ready', obj: statefulSet({}, { replicas: 3, readyReplicas: 2 }), want: { status: 'InProgress', message: 'Ready: 2/3' } },
  { what: 'StatefulSet extra pods', obj: statefulSet({}, { replicas: 4, readyReplicas: 4 }), want: { status: 'InProgress', message: 'Pending termination: 1' } },
  {
    what: 'StatefulSet partition rolling',
    obj: statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { replicas: 3, readyReplicas: 3, updatedReplicas: 1 }),
    want: { status: 'InProgress', message: 'updated: 1/2' },
  },
  {
    what: 'StatefulSet partition done',
    obj: statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { replicas: 3, readyReplicas: 3, updatedReplicas: 2 }),
    want: { status: 'Current', message: 'Partition rollout complete. updated: 2' },
  },
  { what: 'StatefulSet not current', obj: statefulSet({}, { replicas: 3, readyReplicas: 3, currentReplicas: 2 }), want: { status: 'InProgress', message: 'current: 2/3' } },
  {
    what: 'StatefulSet revision mismatch',
    obj: statefulSet({}, { replicas: 3, readyReplicas: 3, currentReplicas: 3, currentRevision: 'db-1', updateRevision: 'db-2' }),
    want: { status: 'InProgress', message: 'Waiting for updated revision to match current' },
  },

  // DaemonSet.
  {
    what: 'DaemonSet ready',
    obj: daemonSet({ observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 2 }),
    want: { status: 'Current', message: 'All replicas scheduled as expected. Replicas: 2' },
  },
  { what: 'DaemonSet without observedGeneration', obj: daemonSet({ desiredNumberScheduled: 2 }), want: { status: 'InProgress', message: 'DaemonSet status.observedGeneration not found' } },
  { what: 'DaemonSet without generation', obj: daemonSet({ observedGeneration: 1 }, null), want: { status: 'InProgress', message: 'DaemonSet metadata.generation not found' } },
  { what: 'DaemonSet without desired number', obj: daemonSet({ observedGeneration: 1 }), want: { status: 'InProgress', message: 'Missing .status.desiredNumberScheduled' } },
  { what: 'DaemonSet not current', obj: daemonSet({ observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 1 }), want: { status: 'InProgress', message: 'Current: 1/2' } },
  { what: 'DaemonSet not updated', obj: daemonSet({ observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 1 }), want: { status: 'InProgress', message: 'Updated: 1/2' } },
  {
    what: 'DaemonSet not available',
    obj: daemonSet({ observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 0, numberReady: 2 }),
    want: { status: 'InProgress', message: 'Available: 0/2' },
  },
  {
    what: 'DaemonSet not ready',
    obj: daemonSet({ observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 1 }),
    want: { status: 'InProgress', message: 'Ready: 1/2' },
  },

  // ReplicaSet.
  { what: 'ReplicaSet available', obj: replicaSet({ replicas: 2, fullyLabeledReplicas: 2, availableReplicas: 2, readyReplicas: 2 }), want: { status: 'Current', message: 'ReplicaSet is available. Replicas: 2' } },
  { what: 'ReplicaSet failure', obj: replicaSet({ conditions: [cond('ReplicaFailure', 'True', 'FailedCreate', 'quota')] }), want: { status: 'InProgress', message: 'Replica Failure condition. Check Pods' } },
  { what: 'ReplicaSet unlabelled', obj: replicaSet({ replicas: 2, fullyLabeledReplicas: 1 }), want: { status: 'InProgress', message: 'Labelled: 1/2' } },
  { what: 'ReplicaSet not available', obj: replicaSet({ replicas: 2, fullyLabeledReplicas: 2, availableReplicas: 1 }), want: { status: 'InProgress', message: 'Available: 1/2' } },
  { what: 'ReplicaSet not ready', obj: replicaSet({ replicas: 2, fullyLabeledReplicas: 2, availableReplicas: 2, readyReplicas: 1 }), want: { status: 'InProgress', message: 'Ready: 1/2' } },
  { what: 'ReplicaSet extra pods', obj: replicaSet({ replicas: 3, fullyLabeledReplicas: 3, availableReplicas: 3, readyReplicas: 3 }), want: { status: 'InProgress', message: 'Pending termination: 1' } },

  // Pod.
  { what: 'Pod ready', obj: pod({ phase: 'Running', conditions: [cond('Ready', 'True')] }), want: { status: 'Current', message: 'Pod is Ready' } },
  { what: 'Pod succeeded', obj: pod({ phase: 'Succeeded' }), want: { status: 'Current', message: 'Pod has completed successfully' } },
  { what: 'Pod failed (finished)', obj: pod({ phase: 'Failed' }), want: { status: 'Current', message: 'Pod has completed, but not successfully' } },
  {
    what: 'Pod crash looping',
    obj: pod({
      phase: 'Running',
      conditions: [cond('Ready', 'False', 'ContainersNotReady')],
      containerStatuses: [
        { name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } } },
        { name: 'sidecar', state: { running: {} } },
        { name: 'init', state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    }),
    want: { status: 'Failed', message: 'Containers in CrashLoop state: app,init' },
  },
  { what: 'Pod running not ready', obj: pod({ phase: 'Running', conditions: [cond('Ready', 'False')] }), want: { status: 'InProgress', message: 'Pod is running but is not Ready' } },
  { what: 'Pod pending', obj: pod({ phase: 'Pending' }), want: { status: 'InProgress', message: 'Pod is in the Pending phase' } },
  {
    what: 'Pod unschedulable within the window',
    obj: pod({ phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable')] }, '2026-01-01T00:00:50Z'),
    want: { status: 'InProgress', message: 'Pod has not been scheduled' },
  },
  {
    what: 'Pod unschedulable after the window',
    obj: pod({ phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable')] }),
    want: { status: 'Failed', message: 'Pod could not be scheduled' },
  },
  { what: 'Pod without phase', obj: pod({}), want: { status: 'InProgress', message: 'Pod phase not available' } },
  { what: 'Pod with unknown phase', obj: pod({ phase: 'Weird' }), want: { status: 'Unknown', message: 'unknown phase Weird' } },

  // Job.
  { what: 'Job complete', obj: job({ completions: 3 }, { succeeded: 3, conditions: [cond('Complete', 'True')] }), want: { status: 'Current', message: 'Job Completed. succeeded: 3/3' } },
  { what: 'Job failed', obj: job({}, { failed: 6, conditions: [cond('Failed', 'True', 'BackoffLimitExceeded')] }), want: { status: 'Failed', message: 'Job Failed. failed: 6/1' } },
  { what: 'Job suspended', obj: job({ suspend: true }, { conditions: [cond('Suspended', 'True')] }), want: { status: 'Current', message: 'Job is suspended' } },
  { what: 'Job not started', obj: job({}, {}), want: { status: 'InProgress', message: 'Job not started' } },
  { what: 'Job running', obj: job({ parallelism: 2 }, { startTime: '2026-01-01T00:00:00Z', active: 2, succeeded: 1 }), want: { status: 'Current', message: 'Job in progress. success:1, active: 2, failed: 0' } },

  // PersistentVolumeClaim.
  { what: 'PVC bound', obj: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'a' }, status: { phase: 'Bound' } }, want: { status: 'Current', message: 'PVC is Bound' } },
  { what: 'PVC pending', obj: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'a' }, status: { phase: 'Pending' } }, want: { status: 'InProgress', message: 'PVC is not Bound. phase: Pending' } },
  { what: 'PVC without status', obj: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'a' } }, want: { status: 'InProgress', message: 'PVC is not Bound. phase: unknown' } },

  // Service.
  { what: 'Service ClusterIP', obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'a' }, spec: { clusterIP: '10.0.0.1' } }, want: { status: 'Current', message: 'Service is ready' } },
  {
    what: 'Service LoadBalancer without cluster IP',
    obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'a' }, spec: { type: 'LoadBalancer' } },
    want: { status: 'InProgress', message: 'ClusterIP not set. Service type: LoadBalancer' },
  },
  {
    what: 'Service LoadBalancer with cluster IP (ingress not awaited, as kstatus)',
    obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'a' }, spec: { type: 'LoadBalancer', clusterIP: '10.0.0.2' }, status: { loadBalancer: {} } },
    want: { status: 'Current', message: 'Service is ready' },
  },

  // CustomResourceDefinition.
  { what: 'CRD established', obj: crd([cond('NamesAccepted', 'True'), cond('Established', 'True')]), want: { status: 'Current', message: 'CRD is established' } },
  { what: 'CRD installing', obj: crd([cond('NamesAccepted', 'True'), cond('Established', 'False', 'Installing')]), want: { status: 'InProgress', message: 'Install in progress' } },
  { what: 'CRD without conditions', obj: crd([]), want: { status: 'InProgress', message: 'Install in progress' } },
  {
    what: 'CRD names not accepted',
    obj: crd([cond('NamesAccepted', 'False', 'MultipleNamesConflict', '"widgets" is already in use'), cond('Established', 'False', 'NotAccepted')]),
    want: { status: 'Failed', message: '"widgets" is already in use' },
  },
  { what: 'CRD not established', obj: crd([cond('Established', 'False', 'NotAccepted', 'not accepted')]), want: { status: 'Failed', message: 'not accepted' } },

  // Namespace, PDB and always-ready kinds.
  { what: 'Namespace active', obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, status: { phase: 'Active' } }, want: { status: 'Current', message: 'Namespace is active' } },
  { what: 'Namespace terminating', obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, status: { phase: 'Terminating' } }, want: { status: 'Terminating', message: 'Namespace is terminating' } },
  {
    what: 'PDB observed',
    obj: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p', namespace: 'a', generation: 1 }, status: { observedGeneration: 1, currentHealthy: 1, desiredHealthy: 1 } },
    want: { status: 'Current', message: 'AllowedDisruptions has been computed.' },
  },
  {
    what: 'PDB not observed',
    obj: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p', namespace: 'a', generation: 2 }, status: { observedGeneration: 1 } },
    want: { status: 'InProgress', message: 'PodDisruptionBudget generation is 2, but latest observed generation is 1' },
  },
  { what: 'ConfigMap', obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a' } }, want: { status: 'Current', message: 'Resource is always ready' } },
  { what: 'Secret', obj: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'a' } }, want: { status: 'Current', message: 'Resource is always ready' } },
  { what: 'CronJob', obj: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'a', generation: 1 } }, want: { status: 'Current', message: 'Resource is always ready' } },
  {
    what: 'a core-looking kind in another group gets no built-in rule',
    obj: { apiVersion: 'example.com/v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, status: { phase: 'Pending' } },
    want: { status: 'Current', message: 'Resource is current' },
  },
];

describe('computeStatus', () => {
  it.each(cases)('$what', ({ obj, want }) => {
    expect(computeStatus(obj, { now })).toEqual(want);
  });
});
