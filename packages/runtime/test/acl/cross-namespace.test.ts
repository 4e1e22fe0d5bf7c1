import { describe, expect, it } from 'vitest';
import { checkCrossNamespaceRef } from '../../src/acl/cross-namespace.ts';
import { StallingError } from '../../src/errors/errors.ts';

describe('checkCrossNamespaceRef', () => {
  it.each([
    ['same namespace, blocked', { kind: 'GitRepository', name: 'app', namespace: 'team-a' }, true],
    ['no namespace means the same one, blocked', { kind: 'GitRepository', name: 'app' }, true],
    ['other namespace, allowed', { kind: 'GitRepository', name: 'app', namespace: 'flux-system' }, false],
  ])('accepts %s', (_, ref, blocked) => {
    expect(() => checkCrossNamespaceRef('team-a', ref, blocked)).not.toThrow();
  });

  it('refuses another namespace when blocked, with reason AccessDenied and the reference in the message', () => {
    const attempt = (): void => checkCrossNamespaceRef('team-a', { kind: 'GitRepository', name: 'app', namespace: 'flux-system' }, true);
    expect(attempt).toThrow(StallingError);
    try {
      attempt();
    } catch (err) {
      expect(err).toMatchObject({
        reason: 'AccessDenied',
        message: "can't access 'GitRepository/flux-system/app', cross-namespace references have been blocked (--no-cross-namespace-refs)",
      });
    }
  });
});
