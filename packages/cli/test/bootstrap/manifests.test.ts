import { describe, expect, it } from 'vitest';
import { checkUrl } from '../../src/bootstrap/credentials.ts';
import { bootstrapLayout, kustomizationPath, normalizePath, syncObjects } from '../../src/bootstrap/manifests.ts';

describe('normalizePath', () => {
  it.each([
    ['clusters/demo', 'clusters/demo'],
    ['./clusters/demo/', 'clusters/demo'],
    ['clusters//demo', 'clusters/demo'],
    ['', ''],
    ['.', ''],
    ['./', ''],
  ])('%j → %j', (given, want) => {
    expect(normalizePath(given)).toBe(want);
  });

  it.each(['/clusters', '..', '../x', 'a/../../x'])('refuses %j, which leaves the repository', (given) => {
    expect(() => normalizePath(given)).toThrow(`invalid --path '${given}': expected a path inside the repository, e.g. clusters/my-cluster`);
  });
});

describe('layout and sync objects', () => {
  it('puts the files in <path>/<namespace>/, or <namespace>/ at the root', () => {
    expect(bootstrapLayout('clusters/demo', 'flux-system')).toEqual({
      dir: 'clusters/demo/flux-system',
      components: 'clusters/demo/flux-system/gotk-components.yaml',
      sync: 'clusters/demo/flux-system/gotk-sync.yaml',
      kustomization: 'clusters/demo/flux-system/kustomization.yaml',
    });
    expect(bootstrapLayout('', 'eddy').dir).toBe('eddy');
    expect([kustomizationPath('clusters/demo'), kustomizationPath('')]).toEqual(['./clusters/demo', './']);
  });

  it('names both objects after the namespace and references the Secret only when there is one', () => {
    const spec = { namespace: 'flux-system', url: 'https://git.example/fleet.git', branch: 'main', path: 'clusters/demo', interval: '1m0s' };
    expect(syncObjects({ ...spec, secretName: 'flux-system' })).toEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'flux-system', namespace: 'flux-system' },
        spec: { interval: '1m0s', ref: { branch: 'main' }, secretRef: { name: 'flux-system' }, url: 'https://git.example/fleet.git' },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'flux-system', namespace: 'flux-system' },
        spec: { interval: '10m0s', path: './clusters/demo', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
      },
    ]);
    expect(syncObjects(spec)[0]?.['spec']).toEqual({ interval: '1m0s', ref: { branch: 'main' }, url: 'https://git.example/fleet.git' });
  });
});

describe('checkUrl', () => {
  it('accepts https, ssh with a user, and http only with --allow-insecure-http', () => {
    expect(checkUrl('https://git.example/fleet.git', false).host).toBe('git.example');
    expect(checkUrl('ssh://git@git.example:2222/fleet.git', false).port).toBe('2222');
    expect(checkUrl('http://127.0.0.1:8080/fleet.git', true).protocol).toBe('http:');
  });

  it.each([
    ['http://127.0.0.1/f.git', false, "--url 'http://127.0.0.1/f.git' uses plain HTTP, which sends credentials and manifests unencrypted: pass --allow-insecure-http to allow it"],
    ['https://me:s3cret@git.example/f.git', false, "--url 'https://git.example/f.git' must not contain a password: pass it with --password or GIT_PASSWORD"],
    ['https://me@git.example/f.git', false, "--url 'https://git.example/f.git' must not contain a user: pass it with --username"],
    ['git@git.example:f.git', false, "invalid --url 'git@git.example:f.git': expected an http://, https:// or ssh:// address"],
    ['file:///tmp/f.git', false, "invalid --url 'file:///tmp/f.git': expected an http://, https:// or ssh:// address"],
  ])('refuses %s without echoing a password', (url, insecure, message) => {
    expect(() => checkUrl(url, insecure)).toThrow(message);
  });
});
