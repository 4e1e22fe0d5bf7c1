import { describe, expect, it } from 'vitest';
import { groupVersions, kindInfo, kinds } from '../src/kinds.ts';

describe('kind table', () => {
  it('holds the 13 Flux v2.9 kinds at their storage versions', () => {
    expect(kinds.map((k) => `${k.group}/${k.version} ${k.kind}`)).toEqual([
      'source.toolkit.fluxcd.io/v1 GitRepository',
      'source.toolkit.fluxcd.io/v1 OCIRepository',
      'source.toolkit.fluxcd.io/v1 Bucket',
      'source.toolkit.fluxcd.io/v1 HelmRepository',
      'source.toolkit.fluxcd.io/v1 HelmChart',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization',
      'helm.toolkit.fluxcd.io/v2 HelmRelease',
      'notification.toolkit.fluxcd.io/v1beta3 Provider',
      'notification.toolkit.fluxcd.io/v1beta3 Alert',
      'notification.toolkit.fluxcd.io/v1 Receiver',
      'image.toolkit.fluxcd.io/v1 ImageRepository',
      'image.toolkit.fluxcd.io/v1 ImagePolicy',
      'image.toolkit.fluxcd.io/v1 ImageUpdateAutomation',
    ]);
    expect(groupVersions()).toEqual([
      'source.toolkit.fluxcd.io/v1',
      'kustomize.toolkit.fluxcd.io/v1',
      'helm.toolkit.fluxcd.io/v2',
      'notification.toolkit.fluxcd.io/v1beta3',
      'notification.toolkit.fluxcd.io/v1',
      'image.toolkit.fluxcd.io/v1',
    ]);
  });

  it.each([
    ['gitrepo', 'GitRepository'],
    ['GitRepository', 'GitRepository'],
    ['gitrepositories', 'GitRepository'],
    ['ks', 'Kustomization'],
    ['hr', 'HelmRelease'],
    ['hc', 'HelmChart'],
    ['ocirepo', 'OCIRepository'],
    ['imgpol', 'ImagePolicy'],
    ['iua', 'ImageUpdateAutomation'],
    ['Receiver', 'Receiver'],
  ])('%s means %s', (name, kind) => {
    expect(kindInfo(name)?.kind).toBe(kind);
  });

  it('knows no other kinds', () => {
    expect(kindInfo('deployment')).toBeUndefined();
  });
});
