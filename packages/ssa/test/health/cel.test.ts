// CEL health checks and boolean expressions, with the expressions users write for
// cert-manager Certificates and Cluster API Clusters.
import { describe, expect, it } from 'vitest';
import { InvalidCelExpressionError, celStatusReader, compileBooleanExpression } from '../../src/health/cel.ts';

const certificateCheck = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  inProgress: "status.conditions.filter(e, e.type == 'Issuing').all(e, e.observedGeneration == metadata.generation && e.status == 'True')",
  failed: "status.conditions.filter(e, e.type == 'Ready').all(e, e.observedGeneration == metadata.generation && e.status == 'False')",
  current: "status.conditions.filter(e, e.type == 'Ready').all(e, e.observedGeneration == metadata.generation && e.status == 'True')",
};
const certificate = (conditions: { type: string; status: string }[], generation = 1, observedGeneration?: number) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web', namespace: 'apps', generation },
  spec: { secretName: 'web-tls' },
  status: { ...(observedGeneration === undefined ? {} : { observedGeneration }), conditions: conditions.map((c) => ({ ...c, observedGeneration: generation })) },
});

describe('celStatusReader', () => {
  const read = celStatusReader([certificateCheck]);

  it.each([
    { name: 'issuing', conditions: [{ type: 'Issuing', status: 'True' }, { type: 'Ready', status: 'False' }], status: 'InProgress', field: 'inProgress' },
    { name: 'failed', conditions: [{ type: 'Issuing', status: 'False' }, { type: 'Ready', status: 'False' }], status: 'Failed', field: 'failed' },
    { name: 'ready', conditions: [{ type: 'Issuing', status: 'False' }, { type: 'Ready', status: 'True' }], status: 'Current', field: 'current' },
  ])('a $name Certificate is $status', ({ conditions, status, field }) => {
    expect(read(certificate(conditions))).toEqual({ status, message: `health check expression '${field}' is true` });
  });

  it('is InProgress while no expression is true', () => {
    const c = certificate([{ type: 'Issuing', status: 'False' }, { type: 'Ready', status: 'True' }]);
    c.status.conditions[1]!.observedGeneration = 0;
    expect(read(c)).toEqual({ status: 'InProgress', message: 'no health check expression is true yet' });
  });

  it('is InProgress without evaluating while the latest generation is not observed', () => {
    expect(read(certificate([{ type: 'Ready', status: 'True' }], 2, 1))).toEqual({ status: 'InProgress', message: 'observed generation 1 is not the latest, 2' });
  });

  it('is Unknown, naming the failure, when a field is missing (the wait goes on)', () => {
    const r = read({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web' }, status: {} });
    expect(r?.status).toBe('Unknown');
    expect(r?.message).toMatch(/^failed to evaluate health check expression 'inProgress': .*conditions/);
  });

  it('leaves other kinds and versions to kstatus', () => {
    expect(read({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: {} })).toBeUndefined();
    expect(read({ apiVersion: 'cert-manager.io/v1beta1', kind: 'Certificate', metadata: {} })).toBeUndefined();
  });

  it('supports optional field access for objects without a status yet', () => {
    const cluster = celStatusReader([
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', current: "status.?conditions.orValue([]).exists(e, e.type == 'Ready' && e.status == 'True')" },
    ]);
    expect(cluster({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', metadata: {}, status: {} })?.status).toBe('InProgress');
    expect(cluster({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', metadata: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } })?.status).toBe('Current');
  });

  it('compares numbers from JSON with integer literals', () => {
    const sts = celStatusReader([{ apiVersion: 'example.com/v1', kind: 'Pool', current: 'status.readyReplicas >= spec.replicas && spec.replicas > 1' }]);
    expect(sts({ apiVersion: 'example.com/v1', kind: 'Pool', metadata: {}, spec: { replicas: 3 }, status: { readyReplicas: 3 } })?.status).toBe('Current');
    expect(sts({ apiVersion: 'example.com/v1', kind: 'Pool', metadata: {}, spec: { replicas: 3 }, status: { readyReplicas: 2 } })?.status).toBe('InProgress');
  });

  it.each([
    ['a syntax error', { current: "status.conditions.exists(e, e.type == 'Ready'" }, 'spec.healthCheckExprs[0].current'],
    ['a non-bool expression', { current: "'Ready'" }, 'spec.healthCheckExprs[0].current'],
    ['a bad failed expression', { current: 'true', failed: 'status.phase ==' }, 'spec.healthCheckExprs[0].failed'],
  ])('refuses %s when compiled, naming the field', (_name, exprs, field) => {
    let error: unknown;
    try {
      celStatusReader([{ apiVersion: 'example.com/v1', kind: 'Pool', ...exprs }]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidCelExpressionError);
    expect((error as InvalidCelExpressionError).field).toBe(field);
    expect((error as Error).message).toMatch(new RegExp(`^invalid CEL expression in ${field.replace(/[[\].]/g, '\\$&')}: .+`));
  });
});

describe('compileBooleanExpression', () => {
  it('evaluates with the declared variables only', () => {
    const expr = compileBooleanExpression('spec.dependsOn[0].readyExpr', "dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True') && self.metadata.name != ''", ['dep', 'self']);
    expect(expr({ dep: { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, self: { metadata: { name: 'app' } } })).toBe(true);
    expect(expr({ dep: { status: { conditions: [] } }, self: { metadata: { name: 'app' } } })).toBe(false);
    expect(() => compileBooleanExpression('f', 'other.x == 1', ['dep', 'self'])).toThrow(InvalidCelExpressionError);
  });
});
