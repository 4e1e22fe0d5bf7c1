import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { flagsReferencePage, flagsReferencePath } from '../codegen/flags-reference.ts';
import { kustomizeControllerFlags } from '../src/flags.ts';

describe('kustomize-controller flags', () => {
  it("have Flux's names and defaults", () => {
    const f = kustomizeControllerFlags({ runtimeNamespace: 'flux-system' }).parse([]);
    expect([f.concurrent, f.requeueDependency.milliseconds, f.insecureKubeconfigExec, f.insecureKubeconfigTls, f.kustomizeBin]).toEqual([4, 30_000, false, false, 'kustomize']);
  });

  it('parse pflag syntax', () => {
    const f = kustomizeControllerFlags({ runtimeNamespace: 'x' }).parse(['--insecure-kubeconfig-tls', '--concurrent-ssa=8', '--kustomize-bin', '/opt/kustomize']);
    expect([f.insecureKubeconfigTls, f.concurrentSsa, f.kustomizeBin]).toEqual([true, 8, '/opt/kustomize']);
  });

  it('docs/reference/kustomize-controller-flags.md is up to date (else run: npm run docs:flags)', async () => {
    expect(await readFile(flagsReferencePath, 'utf8')).toBe(flagsReferencePage());
  });
});
