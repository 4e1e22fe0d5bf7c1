/**
 * Kustomization ordering (`spec.dependsOn`): a Kustomization is built and applied only once
 * every Kustomization it depends on exists, is Ready, and has observed its latest generation.
 */
import { ConditionType, Reason, type Kustomization } from '@eddy/api';
import { StallingError, WaitingError, checkCrossNamespaceRef } from '@eddy/runtime';
import { InvalidCelExpressionError, compileBooleanExpression, type BooleanExpression } from '@eddy/ssa';

/** Finds a Kustomization by namespace and name (the controller's informer cache); undefined when absent. */
export type KustomizationLookup = (namespace: string, name: string) => Kustomization | undefined;

/** Options of {@link checkDependencies}. */
export interface CheckDependenciesOptions {
  /** `--no-cross-namespace-refs`. */
  noCrossNamespaceRefs: boolean;
  /** `--requeue-dependency`: how soon to look again while a dependency is not ready. */
  requeueDependencyMs: number;
}

/** The `namespace/name` keys of the Kustomizations `obj` depends on, namespaces defaulting to its own. */
export function dependencyKeys(obj: Kustomization): string[] {
  const own = obj.metadata.namespace ?? '';
  return (obj.spec.dependsOn ?? []).map((d) => `${d.namespace || own}/${d.name}`);
}

/** Whether a dependency counts as ready: Ready=True for its current generation. */
export function isDependencyReady(dep: Kustomization): boolean {
  const ready = dep.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  return ready?.status === 'True' && dep.status?.observedGeneration === dep.metadata.generation;
}

/**
 * Throws a StallingError (AccessDenied) for a dependency in another namespace while
 * cross-namespace references are blocked, and a WaitingError (DependencyNotReady, requeued
 * after `requeueDependencyMs`) for the first dependency that is missing or not ready.
 */
export function checkDependencies(obj: Kustomization, lookup: KustomizationLookup, opts: CheckDependenciesOptions): void {
  const own = obj.metadata.namespace ?? '';
  const readyExprs = compileReadyExprs(obj);
  (obj.spec.dependsOn ?? []).forEach((d, i) => {
    checkCrossNamespaceRef(own, { kind: 'Kustomization', name: d.name, namespace: d.namespace }, opts.noCrossNamespaceRefs);
    const namespace = d.namespace || own;
    const dep = lookup(namespace, d.name);
    const readyExpr = readyExprs[i];
    if (!dep || !(readyExpr ? evaluateReadyExpr(readyExpr, dep, obj) : isDependencyReady(dep))) {
      throw new WaitingError(Reason.DependencyNotReady, `dependency '${namespace}/${d.name}' is not ready`, opts.requeueDependencyMs);
    }
  });
}

/**
 * The compiled `spec.dependsOn[].readyExpr`s (undefined where none is set). As in Flux without
 * the AdditiveCELDependencyCheck gate, an expression replaces the built-in Ready check; it sees
 * the dependency as `dep` and this Kustomization as `self`. An invalid one stalls.
 */
function compileReadyExprs(obj: Kustomization): (BooleanExpression | undefined)[] {
  try {
    return (obj.spec.dependsOn ?? []).map((d, i) => (d.readyExpr ? compileBooleanExpression(`spec.dependsOn[${i}].readyExpr`, d.readyExpr, ['dep', 'self']) : undefined));
  } catch (err) {
    if (err instanceof InvalidCelExpressionError) throw new StallingError(Reason.InvalidCELExpression, err.message);
    throw err;
  }
}

/** A readyExpr that cannot be evaluated (a field missing on the dependency) counts as not ready. */
function evaluateReadyExpr(expr: BooleanExpression, dep: Kustomization, self: Kustomization): boolean {
  try {
    return expr({ dep, self });
  } catch {
    return false;
  }
}
