import { ConditionType, Reason, type Condition } from '@eddy/api';
import { describe, expect, it } from 'vitest';
import {
  abnormalTrueConditions,
  conditionMessage,
  deleteCondition,
  formatTime,
  getCondition,
  isFalse,
  isReady,
  isStalled,
  isTrue,
  markFalse,
  markProgressing,
  markReconciling,
  markStalled,
  markSucceeded,
  markTrue,
  markUnknown,
  maxConditionMessageLength,
  setCondition,
  type ConditionOptions,
  type ConditionsObject,
} from '../../src/status/conditions.ts';

const t0 = '2025-01-01T00:00:00Z';
const t1 = '2025-01-01T00:05:00Z';
/** The fixed clock every operation below runs with. */
const clock: ConditionOptions = { now: () => new Date('2025-01-01T00:05:00.123Z') };

function cond(type: string, status: Condition['status'], reason: string, message: string, lastTransitionTime: string, observedGeneration = 3): Condition {
  return { type, status, reason, message, lastTransitionTime, observedGeneration };
}

function obj(conditions?: Condition[], generation = 3): ConditionsObject {
  return { metadata: { generation }, status: conditions === undefined ? undefined : { conditions } };
}

interface Case {
  name: string;
  given: Condition[] | undefined;
  op: (o: ConditionsObject) => void;
  want: Condition[];
}

const cases: Case[] = [
  {
    name: 'markTrue on an object without status creates status and the condition',
    given: undefined,
    op: (o) => markTrue(o, ConditionType.Ready, Reason.Succeeded, 'done', clock),
    want: [cond('Ready', 'True', 'Succeeded', 'done', t1)],
  },
  {
    name: 'same status keeps lastTransitionTime, updates reason, message and observedGeneration',
    given: [cond('Ready', 'True', 'Succeeded', 'old', t0, 1)],
    op: (o) => markTrue(o, ConditionType.Ready, Reason.ReconciliationSucceeded, 'new', clock),
    want: [cond('Ready', 'True', 'ReconciliationSucceeded', 'new', t0)],
  },
  {
    name: 'a status change moves lastTransitionTime',
    given: [cond('Ready', 'True', 'Succeeded', 'ok', t0)],
    op: (o) => markFalse(o, ConditionType.Ready, Reason.BuildFailed, 'kustomize build failed', clock),
    want: [cond('Ready', 'False', 'BuildFailed', 'kustomize build failed', t1)],
  },
  {
    name: 'markUnknown on a normal condition sets Unknown',
    given: [cond('Ready', 'False', 'Failed', 'x', t0)],
    op: (o) => markUnknown(o, ConditionType.Ready, Reason.Progressing, 'working', clock),
    want: [cond('Ready', 'Unknown', 'Progressing', 'working', t1)],
  },
  {
    name: 'an abnormal-true condition set to False is deleted',
    given: [cond('Ready', 'True', 'Succeeded', 'ok', t0), cond('Reconciling', 'True', 'Progressing', 'p', t0)],
    op: (o) => markFalse(o, ConditionType.Reconciling, Reason.Succeeded, 'done', clock),
    want: [cond('Ready', 'True', 'Succeeded', 'ok', t0)],
  },
  {
    name: 'an abnormal-true condition set to Unknown when absent stays absent',
    given: [cond('Ready', 'True', 'Succeeded', 'ok', t0)],
    op: (o) => markUnknown(o, ConditionType.Stalled, Reason.Failed, 'x', clock),
    want: [cond('Ready', 'True', 'Succeeded', 'ok', t0)],
  },
  {
    name: 'kind-specific abnormal-true conditions (FetchFailed) are deleted when not True',
    given: [cond('Ready', 'False', 'GitOperationFailed', 'x', t0), cond('FetchFailed', 'True', 'GitOperationFailed', 'x', t0)],
    op: (o) => markFalse(o, ConditionType.FetchFailed, Reason.GitOperationSucceeded, 'ok', clock),
    want: [cond('Ready', 'False', 'GitOperationFailed', 'x', t0)],
  },
  {
    name: 'markReconciling sets Reconciling=True and removes Stalled',
    given: [cond('Ready', 'False', 'InvalidCELExpression', 'bad', t0), cond('Stalled', 'True', 'InvalidCELExpression', 'bad', t0)],
    op: (o) => markReconciling(o, Reason.Progressing, 'reconciliation in progress', clock),
    want: [cond('Ready', 'False', 'InvalidCELExpression', 'bad', t0), cond('Reconciling', 'True', 'Progressing', 'reconciliation in progress', t1)],
  },
  {
    name: 'markProgressing sets Ready=Unknown and Reconciling=True, both Progressing',
    given: [cond('Ready', 'True', 'Succeeded', 'ok', t0)],
    op: (o) => markProgressing(o, 'reconciliation in progress', clock),
    want: [cond('Ready', 'Unknown', 'Progressing', 'reconciliation in progress', t1), cond('Reconciling', 'True', 'Progressing', 'reconciliation in progress', t1)],
  },
  {
    name: 'markStalled sets Stalled=True and Ready=False with the same reason, removes Reconciling',
    given: [cond('Ready', 'Unknown', 'Progressing', 'p', t0), cond('Reconciling', 'True', 'Progressing', 'p', t0)],
    op: (o) => markStalled(o, Reason.InvalidCELExpression, 'expression does not compile', clock),
    want: [cond('Ready', 'False', 'InvalidCELExpression', 'expression does not compile', t1), cond('Stalled', 'True', 'InvalidCELExpression', 'expression does not compile', t1)],
  },
  {
    name: 'markStalled twice keeps both transition times',
    given: [cond('Ready', 'False', 'InvalidCELExpression', 'a', t0), cond('Stalled', 'True', 'InvalidCELExpression', 'a', t0)],
    op: (o) => markStalled(o, Reason.FeatureGateDisabled, 'b', clock),
    want: [cond('Ready', 'False', 'FeatureGateDisabled', 'b', t0), cond('Stalled', 'True', 'FeatureGateDisabled', 'b', t0)],
  },
  {
    name: 'markSucceeded sets Ready=True and removes Reconciling and Stalled, keeps the rest',
    given: [
      cond('Ready', 'False', 'Failed', 'x', t0),
      cond('Reconciling', 'True', 'ProgressingWithRetry', 'x', t0),
      cond('Stalled', 'True', 'Failed', 'x', t0),
      cond('Healthy', 'True', 'Succeeded', 'healthy', t0),
    ],
    op: (o) => markSucceeded(o, Reason.ReconciliationSucceeded, 'Applied revision: main@sha1:abc', clock),
    want: [cond('Ready', 'True', 'ReconciliationSucceeded', 'Applied revision: main@sha1:abc', t1), cond('Healthy', 'True', 'Succeeded', 'healthy', t0)],
  },
  {
    name: 'conditions are sorted: Ready, Reconciling, Stalled, then by type',
    given: [cond('SourceVerified', 'True', 'Succeeded', 's', t0), cond('Ready', 'True', 'Succeeded', 'r', t0), cond('ArtifactInStorage', 'True', 'Succeeded', 'a', t0)],
    op: (o) => {
      markTrue(o, ConditionType.FetchFailed, Reason.GitOperationFailed, 'f', clock);
      markTrue(o, ConditionType.Stalled, Reason.URLInvalid, 'st', clock);
      markTrue(o, ConditionType.Reconciling, Reason.Progressing, 'rc', clock);
    },
    want: [
      cond('Ready', 'True', 'Succeeded', 'r', t0),
      cond('Reconciling', 'True', 'Progressing', 'rc', t1),
      cond('Stalled', 'True', 'URLInvalid', 'st', t1),
      cond('ArtifactInStorage', 'True', 'Succeeded', 'a', t0),
      cond('FetchFailed', 'True', 'GitOperationFailed', 'f', t1),
      cond('SourceVerified', 'True', 'Succeeded', 's', t0),
    ],
  },
  {
    name: 'deleteCondition removes only that type',
    given: [cond('Ready', 'True', 'Succeeded', 'r', t0), cond('Healthy', 'True', 'Succeeded', 'h', t0)],
    op: (o) => deleteCondition(o, ConditionType.Healthy),
    want: [cond('Ready', 'True', 'Succeeded', 'r', t0)],
  },
  {
    name: 'deleteCondition of an absent type changes nothing',
    given: [cond('Ready', 'True', 'Succeeded', 'r', t0)],
    op: (o) => deleteCondition(o, ConditionType.Stalled),
    want: [cond('Ready', 'True', 'Succeeded', 'r', t0)],
  },
  {
    name: 'messages have URL credentials removed',
    given: [],
    op: (o) => markFalse(o, ConditionType.Ready, Reason.GitOperationFailed, 'clone of https://user:s3cret@git.example.com/repo.git failed', clock),
    want: [cond('Ready', 'False', 'GitOperationFailed', 'clone of https://git.example.com/repo.git failed', t1)],
  },
  {
    name: 'setCondition takes the status as an argument',
    given: [],
    op: (o) => setCondition(o, ConditionType.Released, 'Unknown', Reason.Progressing, 'installing', clock),
    want: [cond('Released', 'Unknown', 'Progressing', 'installing', t1)],
  },
];

describe('condition helpers', () => {
  it.each(cases)('$name', ({ given, op, want }) => {
    const o = obj(given === undefined ? undefined : structuredClone(given));
    op(o);
    expect(o.status?.conditions).toEqual(want);
  });

  it('omits observedGeneration when the object has no generation', () => {
    const o: ConditionsObject = { metadata: {} };
    markTrue(o, ConditionType.Ready, Reason.Succeeded, 'ok', clock);
    expect(o.status?.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok', lastTransitionTime: t1 }]);
  });

  it('never mutates the condition objects it replaces (they may be shared with a cache)', () => {
    const shared = [cond('Ready', 'True', 'Succeeded', 'ok', t0)];
    const frozen = structuredClone(shared);
    const o = obj(shared);
    markFalse(o, ConditionType.Ready, Reason.Failed, 'no', clock);
    markTrue(o, ConditionType.Reconciling, Reason.Progressing, 'p', clock);
    expect(shared).toEqual(frozen);
  });

  it('uses the system clock by default, in whole seconds', () => {
    const o = obj([]);
    const before = Date.now();
    markTrue(o, ConditionType.Ready, Reason.Succeeded, 'ok');
    const at = getCondition(o, ConditionType.Ready)?.lastTransitionTime ?? '';
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it('truncates messages to the CRD maxLength, counting code points', () => {
    const long = 'x'.repeat(maxConditionMessageLength + 10);
    expect(conditionMessage(long)).toBe(`${'x'.repeat(maxConditionMessageLength - 1)}…`);
    const emoji = '😀'.repeat(maxConditionMessageLength); // 2 UTF-16 units each, fits in code points
    expect(conditionMessage(emoji)).toBe(emoji);
    const o = obj([]);
    markFalse(o, ConditionType.Ready, Reason.Failed, long, clock);
    expect([...(getCondition(o, ConditionType.Ready)?.message ?? '')]).toHaveLength(maxConditionMessageLength);
  });

  it('formats times as metav1.Time does', () => {
    expect(formatTime(new Date('2025-06-30T12:34:56.789Z'))).toBe('2025-06-30T12:34:56Z');
  });
});

describe('condition queries', () => {
  const o = obj([cond('Ready', 'True', 'Succeeded', 'ok', t0), cond('Stalled', 'True', 'URLInvalid', 'bad', t0), cond('Healthy', 'False', 'HealthCheckFailed', 'h', t0)]);
  it.each([
    { name: 'isReady', got: isReady(o), want: true },
    { name: 'isStalled', got: isStalled(o), want: true },
    { name: 'isTrue(Healthy)', got: isTrue(o, ConditionType.Healthy), want: false },
    { name: 'isFalse(Healthy)', got: isFalse(o, ConditionType.Healthy), want: true },
    { name: 'isFalse(Reconciling) when absent', got: isFalse(o, ConditionType.Reconciling), want: false },
    { name: 'isReady without status', got: isReady({ metadata: {} }), want: false },
  ])('$name', ({ got, want }) => {
    expect(got).toBe(want);
  });

  it('getCondition returns the condition or undefined', () => {
    expect(getCondition(o, ConditionType.Stalled)).toEqual(cond('Stalled', 'True', 'URLInvalid', 'bad', t0));
    expect(getCondition(o, ConditionType.Reconciling)).toBeUndefined();
  });

  it('knows the abnormal-true types', () => {
    expect([...abnormalTrueConditions].sort()).toEqual(['ArtifactOutdated', 'BuildFailed', 'FetchFailed', 'IncludeUnavailable', 'Reconciling', 'Stalled', 'StorageOperationFailed']);
  });
});
