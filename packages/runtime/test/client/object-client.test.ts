import { describe, expect, it } from 'vitest';
import { collectionPath } from '../../src/client/object-client.ts';

describe('collectionPath', () => {
  it.each([
    [{ apiVersion: 'v1', plural: 'configmaps' }, '/api/v1/configmaps'],
    [{ apiVersion: 'v1', plural: 'secrets', namespace: 'flux-system' }, '/api/v1/namespaces/flux-system/secrets'],
    [{ apiVersion: 'source.toolkit.fluxcd.io/v1', plural: 'gitrepositories' }, '/apis/source.toolkit.fluxcd.io/v1/gitrepositories'],
    [{ apiVersion: 'test.eddy.dev/v1', plural: 'widgets', namespace: 'ns-1' }, '/apis/test.eddy.dev/v1/namespaces/ns-1/widgets'],
    [{ apiVersion: 'test.eddy.dev/v1', plural: 'widgets', namespace: '' }, '/apis/test.eddy.dev/v1/widgets'],
  ])('%j -> %s', (ref, want) => {
    expect(collectionPath(ref)).toBe(want);
  });
});
