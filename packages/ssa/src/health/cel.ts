/**
 * Health checks written as CEL expressions (a Kustomization's `spec.healthCheckExprs`), and
 * boolean CEL expressions in general (a dependency's `readyExpr`).
 *
 * CEL comes from @marcbachmann/cel-js: a maintained, dependency-free implementation of the
 * CEL spec with the macros and the optional field syntax (`status.?conditions.orValue([])`)
 * that Kubernetes' own CEL users write. Expressions are parsed and type-checked once, when a
 * Kustomization is reconciled, so a typo stalls the Kustomization with the parser's message
 * instead of failing every poll.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { StatusResult } from './kstatus.ts';

/** A CEL health check of one kind of custom resource (`spec.healthCheckExprs[]`). */
export interface CelHealthCheck {
  apiVersion: string;
  kind?: string;
  /** True when the resource reached its desired state. */
  current: string;
  /** True when the resource failed (optional: without it, a failure shows as a timeout). */
  failed?: string;
  /** True while the resource is still progressing (optional). */
  inProgress?: string;
}

/** An expression that does not parse, or does not evaluate to a bool; `field` names where it came from. */
export class InvalidCelExpressionError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`invalid CEL expression in ${field}: ${message}`);
    this.name = 'InvalidCelExpressionError';
    this.field = field;
  }
}

/** A compiled boolean expression: evaluates against variables, throwing when evaluation fails (e.g. a missing field). */
export type BooleanExpression = (variables: Record<string, unknown>) => boolean;

/** The kstatus of an object from a custom status function, or undefined when it does not cover the object's kind. */
export type StatusReader = (obj: Record<string, unknown>) => StatusResult | undefined;

/**
 * Parses and type-checks `expression` as a bool. `variables` declares the names it may use;
 * `undefined` lets it use any top-level name (an object's fields, for health checks).
 * Throws {@link InvalidCelExpressionError} naming `field`.
 */
export function compileBooleanExpression(field: string, expression: string, variables?: readonly string[]): BooleanExpression {
  const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, unlistedVariablesAreDyn: variables === undefined });
  for (const name of variables ?? []) env.registerVariable(name, 'dyn');
  let evaluate: (vars: Record<string, unknown>) => unknown;
  try {
    const parsed = env.parse(expression);
    const checked = parsed.check();
    if (!checked.valid) throw new Error(checked.error?.message ?? 'type check failed');
    if (checked.type !== 'bool' && checked.type !== 'dyn') throw new Error(`the expression is of type ${checked.type}, not bool`);
    evaluate = parsed;
  } catch (err) {
    throw new InvalidCelExpressionError(field, firstLine(err));
  }
  return (vars) => {
    const result = evaluate(vars);
    if (typeof result !== 'boolean') throw new Error(`${field} evaluated to ${typeof result}, not bool`);
    return result;
  };
}

/**
 * A status reader for the kinds of `checks`. As kstatus does, an object whose controller has
 * not observed its latest generation is InProgress; otherwise `inProgress`, `failed` and
 * `current` are tried in that order and the first true one decides; none true is InProgress.
 * An expression that cannot be evaluated (a field the object does not have yet) is Unknown
 * with the reason, so the wait goes on until the timeout rather than failing at once.
 */
export function celStatusReader(checks: readonly CelHealthCheck[]): StatusReader {
  const compiled = new Map<string, { status: StatusResult['status']; field: string; expr: BooleanExpression }[]>();
  checks.forEach((check, i) => {
    const at = (name: string) => `spec.healthCheckExprs[${i}].${name}`;
    const steps: { status: StatusResult['status']; field: string; expr: BooleanExpression }[] = [];
    if (check.inProgress) steps.push({ status: 'InProgress', field: 'inProgress', expr: compileBooleanExpression(at('inProgress'), check.inProgress) });
    if (check.failed) steps.push({ status: 'Failed', field: 'failed', expr: compileBooleanExpression(at('failed'), check.failed) });
    steps.push({ status: 'Current', field: 'current', expr: compileBooleanExpression(at('current'), check.current) });
    compiled.set(`${check.apiVersion}/${check.kind ?? ''}`, steps);
  });
  return (obj) => {
    const steps = compiled.get(`${String(obj['apiVersion'])}/${String(obj['kind'])}`);
    if (!steps) return undefined;
    const metadata = (obj['metadata'] ?? {}) as { generation?: number };
    const status = (obj['status'] ?? {}) as { observedGeneration?: number };
    if (status.observedGeneration !== undefined && metadata.generation !== undefined && status.observedGeneration !== metadata.generation) {
      return { status: 'InProgress', message: `observed generation ${status.observedGeneration} is not the latest, ${metadata.generation}` };
    }
    for (const step of steps) {
      try {
        if (step.expr(obj)) return { status: step.status, message: `health check expression '${step.field}' is true` };
      } catch (err) {
        return { status: 'Unknown', message: `failed to evaluate health check expression '${step.field}': ${firstLine(err)}` };
      }
    }
    return { status: 'InProgress', message: 'no health check expression is true yet' };
  };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
