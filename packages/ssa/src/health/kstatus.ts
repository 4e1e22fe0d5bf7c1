/**
 * kstatus: the status of any Kubernetes object computed from its live JSON, as
 * sigs.k8s.io/cli-utils/pkg/kstatus/status does (the rules Flux's health checks use), so an
 * object Flux calls Current is Current here, with the same message.
 *
 * Order of the rules: a deletionTimestamp makes it Terminating; an unobserved generation makes it
 * InProgress; `Reconciling=True` InProgress and `Stalled=True` Failed (whichever comes first);
 * then the kind's own rules for built-in kinds; then a `Ready` condition (True → Current,
 * otherwise InProgress); and an object with none of these is Current.
 */

/** A kstatus status. */
export type KStatus = 'Current' | 'InProgress' | 'Failed' | 'Terminating' | 'NotFound' | 'Unknown';

/** The kstatus statuses by name. */
export const KStatus = {
  /** The object is fully reconciled: the desired state is the actual state. */
  Current: 'Current',
  /** The object is still being reconciled. */
  InProgress: 'InProgress',
  /** Reconciling the object failed and will not recover without a change. */
  Failed: 'Failed',
  /** The object is being deleted. */
  Terminating: 'Terminating',
  /** The object does not exist. */
  NotFound: 'NotFound',
  /** The status could not be computed (the object could not be read or makes no sense). */
  Unknown: 'Unknown',
} as const satisfies Record<KStatus, KStatus>;

/** The status of an object and why. */
export interface StatusResult {
  status: KStatus;
  message: string;
}

/** Options of {@link computeStatus}. */
export interface ComputeOptions {
  /** The current time, for the Pod scheduling grace window (default now). */
  now?: Date;
}

/** How long a Pod may stay unschedulable before kstatus calls it Failed. */
export const podScheduleWindowMs = 15_000;

type Obj = Record<string, unknown>;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

type Rule = (obj: Obj, opts: ComputeOptions) => StatusResult;

const current = (message: string): StatusResult => ({ status: 'Current', message });
const inProgress = (message: string): StatusResult => ({ status: 'InProgress', message });
const failed = (message: string): StatusResult => ({ status: 'Failed', message });

/**
 * The kstatus of an object from its live JSON (as read from the API server, with status).
 * Never throws: an object that cannot be interpreted is `Unknown`.
 */
export function computeStatus(obj: Obj, opts: ComputeOptions = {}): StatusResult {
  const generic = genericStatus(obj);
  if (generic) return generic;
  const rule = builtinRules.get(groupKind(obj));
  if (rule) return rule(obj, opts);
  return readyConditionStatus(obj) ?? current('Resource is current');
}

/** The rules that hold for every kind: deletion, observed generation, Reconciling and Stalled. */
function genericStatus(obj: Obj): StatusResult | undefined {
  const deletionTimestamp = field(obj, 'metadata', 'deletionTimestamp');
  if (typeof deletionTimestamp === 'string' && deletionTimestamp !== '') return { status: 'Terminating', message: 'Resource scheduled for deletion' };
  const generation = field(obj, 'metadata', 'generation');
  const observed = field(obj, 'status', 'observedGeneration');
  // Only objects whose status publishes observedGeneration can be checked for it.
  if (typeof generation === 'number' && typeof observed === 'number' && observed !== generation) {
    return inProgress(`${kindOf(obj)} generation is ${generation}, but latest observed generation is ${observed}`);
  }
  for (const c of conditions(obj)) {
    if (c.type === 'Reconciling' && c.status === 'True') return inProgress(c.message);
    if (c.type === 'Stalled' && c.status === 'True') return failed(c.message);
  }
  return undefined;
}

/** Objects that publish a `Ready` condition (most CRs, Flux's own kinds) by it. */
function readyConditionStatus(obj: Obj): StatusResult | undefined {
  for (const c of conditions(obj)) {
    if (c.type !== 'Ready') continue;
    if (c.status === 'True') return current('Resource is Ready');
    // kstatus treats both False and Unknown as still in progress.
    if (c.status === 'False' || c.status === 'Unknown') return inProgress(c.message);
  }
  return undefined;
}

const alwaysReady: Rule = () => current('Resource is always ready');

const deploymentStatus: Rule = (obj) => {
  // Without progressDeadlineSeconds the controller never sets Progressing, so it cannot be waited for.
  let progressing = num(obj, ['spec', 'progressDeadlineSeconds'], maxInt32) === maxInt32;
  let available = false;
  for (const c of conditions(obj)) {
    if (c.type === 'Progressing') {
      if (c.reason === 'ProgressDeadlineExceeded') return failed('Progress deadline exceeded');
      if (c.status === 'True' && c.reason === 'NewReplicaSetAvailable') progressing = true;
    } else if (c.type === 'Available' && c.status === 'True') {
      available = true;
    }
  }
  const spec = num(obj, ['spec', 'replicas'], 1);
  const replicas = num(obj, ['status', 'replicas'], 0);
  const updated = num(obj, ['status', 'updatedReplicas'], 0);
  const ready = num(obj, ['status', 'readyReplicas'], 0);
  const availableReplicas = num(obj, ['status', 'availableReplicas'], 0);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress(`Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (updated > availableReplicas) return inProgress(`Available: ${availableReplicas}/${updated}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress('ReplicaSet not Available');
  if (!available) return inProgress('Deployment not Available');
  return current(`Deployment is available. Replicas: ${replicas}`);
};

const statefulSetStatus: Rule = (obj) => {
  // OnDelete: the user rolls Pods by hand; there is nothing to wait for.
  if (str(obj, ['spec', 'updateStrategy', 'type'], '') === 'OnDelete') return current('StatefulSet is using the ondelete update strategy');
  const spec = num(obj, ['spec', 'replicas'], 1);
  const ready = num(obj, ['status', 'readyReplicas'], 0);
  const currentReplicas = num(obj, ['status', 'currentReplicas'], 0);
  const updated = num(obj, ['status', 'updatedReplicas'], 0);
  const replicas = num(obj, ['status', 'replicas'], 0);
  const partition = num(obj, ['spec', 'updateStrategy', 'rollingUpdate', 'partition'], -1);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress(`updated: ${updated}/${spec - partition}`);
    return current(`Partition rollout complete. updated: ${updated}`);
  }
  if (spec > currentReplicas) return inProgress(`current: ${currentReplicas}/${spec}`);
  if (str(obj, ['status', 'currentRevision'], '') !== str(obj, ['status', 'updateRevision'], '')) {
    return inProgress('Waiting for updated revision to match current');
  }
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
};

const daemonSetStatus: Rule = (obj) => {
  // The DaemonSet controller always sets both; their absence means it has not acted yet.
  if (typeof field(obj, 'metadata', 'generation') !== 'number') return inProgress(`${kindOf(obj)} metadata.generation not found`);
  if (typeof field(obj, 'status', 'observedGeneration') !== 'number') return inProgress(`${kindOf(obj)} status.observedGeneration not found`);
  const desired = num(obj, ['status', 'desiredNumberScheduled'], -1);
  const currentScheduled = num(obj, ['status', 'currentNumberScheduled'], 0);
  const updated = num(obj, ['status', 'updatedNumberScheduled'], 0);
  const availableNumber = num(obj, ['status', 'numberAvailable'], 0);
  const ready = num(obj, ['status', 'numberReady'], 0);
  if (desired === -1) return inProgress('Missing .status.desiredNumberScheduled');
  if (desired > currentScheduled) return inProgress(`Current: ${currentScheduled}/${desired}`);
  if (desired > updated) return inProgress(`Updated: ${updated}/${desired}`);
  if (desired > availableNumber) return inProgress(`Available: ${availableNumber}/${desired}`);
  if (desired > ready) return inProgress(`Ready: ${ready}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
};

const replicaSetStatus: Rule = (obj) => {
  if (conditions(obj).some((c) => c.type === 'ReplicaFailure' && c.status === 'True')) return inProgress('Replica Failure condition. Check Pods');
  const spec = num(obj, ['spec', 'replicas'], 1);
  const replicas = num(obj, ['status', 'replicas'], 0);
  const ready = num(obj, ['status', 'readyReplicas'], 0);
  const availableReplicas = num(obj, ['status', 'availableReplicas'], 0);
  const labelled = num(obj, ['status', 'fullyLabeledReplicas'], 0);
  if (spec > labelled) return inProgress(`Labelled: ${labelled}/${spec}`);
  if (spec > availableReplicas) return inProgress(`Available: ${availableReplicas}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  return current(`ReplicaSet is available. Replicas: ${replicas}`);
};

const pvcStatus: Rule = (obj) => {
  const phase = str(obj, ['status', 'phase'], 'unknown');
  return phase === 'Bound' ? current('PVC is Bound') : inProgress(`PVC is not Bound. phase: ${phase}`);
};

const podStatus: Rule = (obj, opts) => {
  const conds = conditions(obj);
  const phase = str(obj, ['status', 'phase'], '');
  switch (phase) {
    case 'Succeeded':
      return current('Pod has completed successfully');
    case 'Failed':
      // kstatus: a finished Pod is done, successfully or not.
      return current('Pod has completed, but not successfully');
    case 'Running': {
      if (conds.some((c) => c.type === 'Ready' && c.status === 'True')) return current('Pod is Ready');
      const crashLooping = crashLoopingContainers(obj);
      if (crashLooping.length > 0) return failed(`Containers in CrashLoop state: ${crashLooping.join(',')}`);
      return inProgress('Pod is running but is not Ready');
    }
    case 'Pending': {
      const scheduled = conds.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      if (scheduled?.reason === 'Unschedulable') {
        const created = Date.parse(str(obj, ['metadata', 'creationTimestamp'], ''));
        const now = (opts.now ?? new Date()).getTime();
        // A Pod gets a grace window to be scheduled (e.g. while a node scales up).
        if (Number.isNaN(created) || now - podScheduleWindowMs < created) return inProgress('Pod has not been scheduled');
        return failed('Pod could not be scheduled');
      }
      return inProgress('Pod is in the Pending phase');
    }
    case '':
      return inProgress('Pod phase not available');
    default:
      return { status: 'Unknown', message: `unknown phase ${phase}` };
  }
};

const pdbStatus: Rule = () => current('AllowedDisruptions has been computed.');

const jobStatus: Rule = (obj) => {
  const parallelism = num(obj, ['spec', 'parallelism'], 1);
  const completions = num(obj, ['spec', 'completions'], parallelism);
  const succeeded = num(obj, ['status', 'succeeded'], 0);
  const active = num(obj, ['status', 'active'], 0);
  const failedPods = num(obj, ['status', 'failed'], 0);
  for (const c of conditions(obj)) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return current(`Job Completed. succeeded: ${succeeded}/${completions}`);
    if (c.type === 'Failed') return failed(`Job Failed. failed: ${failedPods}/${completions}`);
    // A suspended Job is not waiting for anything.
    if (c.type === 'Suspended') return current('Job is suspended');
  }
  if (str(obj, ['status', 'startTime'], '') === '') return inProgress('Job not started');
  // kstatus: a started Job is Current while it runs.
  return current(`Job in progress. success:${succeeded}, active: ${active}, failed: ${failedPods}`);
};

/**
 * Services: kstatus waits only for a LoadBalancer Service's cluster IP, not for its ingress, so
 * health checks finish on clusters without a load-balancer implementation, as they do in Flux.
 */
const serviceStatus: Rule = (obj) => {
  if (str(obj, ['spec', 'type'], 'ClusterIP') === 'LoadBalancer' && str(obj, ['spec', 'clusterIP'], '') === '') {
    return inProgress('ClusterIP not set. Service type: LoadBalancer');
  }
  return current('Service is ready');
};

const crdStatus: Rule = (obj) => {
  for (const c of conditions(obj)) {
    if (c.type === 'NamesAccepted' && c.status === 'False') return failed(c.message);
    if (c.type === 'Established') {
      if (c.status === 'False' && c.reason !== 'Installing') return failed(c.message);
      if (c.status === 'True') return current('CRD is established');
    }
  }
  return inProgress('Install in progress');
};

/** Namespaces (not a kstatus rule: there everything without conditions is Current): Active is Current. */
const namespaceStatus: Rule = (obj) => {
  const phase = str(obj, ['status', 'phase'], '');
  if (phase === 'Terminating') return { status: 'Terminating', message: 'Namespace is terminating' };
  return current(phase === 'Active' ? 'Namespace is active' : 'Resource is current');
};

/** The kind-specific rules, by `group/Kind` (`Kind` alone for the core group), as kstatus' legacyTypes. */
const builtinRules = new Map<string, Rule>([
  ['Service', serviceStatus],
  ['Pod', podStatus],
  ['Secret', alwaysReady],
  ['ConfigMap', alwaysReady],
  ['PersistentVolumeClaim', pvcStatus],
  ['Namespace', namespaceStatus],
  ['apps/StatefulSet', statefulSetStatus],
  ['apps/DaemonSet', daemonSetStatus],
  ['extensions/DaemonSet', daemonSetStatus],
  ['apps/Deployment', deploymentStatus],
  ['extensions/Deployment', deploymentStatus],
  ['apps/ReplicaSet', replicaSetStatus],
  ['extensions/ReplicaSet', replicaSetStatus],
  ['policy/PodDisruptionBudget', pdbStatus],
  ['batch/CronJob', alwaysReady],
  ['batch/Job', jobStatus],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdStatus],
]);

/** Go's math.MaxInt32: what kstatus uses for "progressDeadlineSeconds not set". */
const maxInt32 = 2_147_483_647;

function groupKind(obj: Obj): string {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  const kind = kindOf(obj);
  return slash === -1 ? kind : `${apiVersion.slice(0, slash)}/${kind}`;
}

function kindOf(obj: Obj): string {
  return typeof obj.kind === 'string' ? obj.kind : '';
}

/** The value at a path of plain JSON, or undefined. */
function field(obj: unknown, ...path: string[]): unknown {
  let at: unknown = obj;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Obj)[key];
  }
  return at;
}

function num(obj: Obj, path: string[], fallback: number): number {
  const v = field(obj, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function str(obj: Obj, path: string[], fallback: string): string {
  const v = field(obj, ...path);
  return typeof v === 'string' ? v : fallback;
}

/** `status.conditions`, keeping only entries with a string type and status. */
function conditions(obj: Obj): Condition[] {
  const list = field(obj, 'status', 'conditions');
  if (!Array.isArray(list)) return [];
  const out: Condition[] = [];
  for (const item of list as unknown[]) {
    const type = field(item, 'type');
    const status = field(item, 'status');
    if (typeof type !== 'string' || typeof status !== 'string') continue;
    const reason = field(item, 'reason');
    const message = field(item, 'message');
    out.push({ type, status, reason: typeof reason === 'string' ? reason : '', message: typeof message === 'string' ? message : '' });
  }
  return out;
}

/** Names of the containers waiting in CrashLoopBackOff. */
function crashLoopingContainers(obj: Obj): string[] {
  const statuses = field(obj, 'status', 'containerStatuses');
  if (!Array.isArray(statuses)) return [];
  const names: string[] = [];
  for (const cs of statuses as unknown[]) {
    const name = field(cs, 'name');
    if (typeof name === 'string' && field(cs, 'state', 'waiting', 'reason') === 'CrashLoopBackOff') names.push(name);
  }
  return names;
}
