import { expect, test } from 'vitest';
import { isImmutableError } from '../../src/apply/errors.ts';
import { KubeApiError } from '@eddy/runtime';

test.each([
  [422, 'Deployment.apps "web" is invalid: spec.selector: Invalid value: ...: field is immutable', true],
  [422, 'Job.batch "j" is invalid: spec.template: Invalid value: ...: field is immutable', true],
  [422, 'StatefulSet.apps "s" is invalid: spec: Forbidden: updates to statefulset spec for fields other than ... are forbidden', true],
  [422, 'Service "s" is invalid: spec.clusterIPs[0]: Invalid value: ...: may not change once set', true],
  [422, 'RoleBinding "r" is invalid: roleRef: Invalid value: ...: cannot change roleRef', true],
  [422, 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0', false],
  [409, 'field is immutable', false],
])('%i %s → %s', (code, message, want) => {
  expect(isImmutableError(new KubeApiError(code, 'Invalid', message, []))).toBe(want);
});

test('other errors are not immutable errors', () => {
  expect(isImmutableError(new Error('field is immutable'))).toBe(false);
});
