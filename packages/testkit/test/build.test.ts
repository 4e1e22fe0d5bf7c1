import { describe, expect, it } from 'vitest';
import { wrapperReplaces } from '../src/tools/build.ts';

const kubernetes = { name: 'kubernetes', module: 'k8s.io/kubernetes', version: 'v1.34.4', binaries: {} };

describe('wrapperReplaces', () => {
  it('turns staging replaces into the published v0 staging version and keeps versioned ones', () => {
    expect(
      wrapperReplaces(kubernetes, [
        { Old: { Path: 'k8s.io/api' }, New: { Path: './staging/src/k8s.io/api' } },
        { Old: { Path: 'k8s.io/client-go' }, New: { Path: './staging/src/k8s.io/client-go' } },
        { Old: { Path: 'github.com/x/y', Version: 'v1.0.0' }, New: { Path: 'github.com/x/y', Version: 'v1.0.1' } },
        { Old: { Path: 'example.com/api' }, New: { Path: './api' } },
      ]),
    ).toEqual([
      'k8s.io/api => k8s.io/api v0.34.4',
      'k8s.io/client-go => k8s.io/client-go v0.34.4',
      'github.com/x/y v1.0.0 => github.com/x/y v1.0.1',
    ]);
  });

  it('drops local replaces of tools that are not Kubernetes', () => {
    const helm = { name: 'helm', module: 'helm.sh/helm/v3', version: 'v3.22.0', binaries: {} };
    expect(wrapperReplaces(helm, [{ Old: { Path: 'helm.sh/helm/v3/x' }, New: { Path: './staging/src/x' } }])).toEqual([]);
  });
});
