import { describe, expect, it } from 'vitest';
import { formatRevision, parseDigest, parseRevision, sameRevision } from '../src/revision.ts';

const sha1 = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738';
const sha256 = 'a'.repeat(64);

describe('parseRevision', () => {
  it.each([
    [`main@sha1:${sha1}`, { name: 'main', digest: { algorithm: 'sha1', encoded: sha1 } }],
    [`v1.0.0@sha1:${sha1}`, { name: 'v1.0.0', digest: { algorithm: 'sha1', encoded: sha1 } }],
    [`refs/pull/1/head@sha1:${sha1}`, { name: 'refs/pull/1/head', digest: { algorithm: 'sha1', encoded: sha1 } }],
    [`latest@sha256:${sha256}`, { name: 'latest', digest: { algorithm: 'sha256', encoded: sha256 } }],
    [`sha1:${sha1}`, { digest: { algorithm: 'sha1', encoded: sha1 } }],
    [`sha256:${sha256}`, { digest: { algorithm: 'sha256', encoded: sha256 } }],
  ])('%s', (text, expected) => {
    expect(parseRevision(text)).toEqual(expected);
    expect(formatRevision(parseRevision(text))).toBe(text);
  });

  it.each([['main'], ['@sha1:abc'], ['main@'], ['main@sha1'], ['main@SHA1:abc'], ['6.0.3']])('rejects %j', (text) => {
    expect(() => parseRevision(text)).toThrow(/invalid/);
  });
});

describe('parseDigest', () => {
  it('accepts the forms the CRD pattern accepts', () => {
    expect(parseDigest(`sha256:${sha256}`)).toEqual({ algorithm: 'sha256', encoded: sha256 });
    expect(parseDigest('blake3:abc_-=')).toEqual({ algorithm: 'blake3', encoded: 'abc_-=' });
    expect(parseDigest('sha512.x+y:ff')).toEqual({ algorithm: 'sha512.x+y', encoded: 'ff' });
  });
});

describe('sameRevision', () => {
  it.each([
    [`main@sha1:${sha1}`, `sha1:${sha1}`, true],
    [`main@sha1:${sha1}`, `feature@sha1:${sha1}`, true],
    [`main@sha1:${sha1}`, `main@sha1:${'b'.repeat(40)}`, false],
    [`v1@sha256:${sha256}`, `v1@sha1:${sha1}`, false],
    ['6.0.3', '6.0.3', true],
    ['6.0.3', '6.0.4', false],
  ])('%s vs %s → %s', (a, b, same) => {
    expect(sameRevision(a, b)).toBe(same);
  });
});
