import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { flagsReferencePage, flagsReferencePath } from '../codegen/flags-reference.ts';
import { sourceControllerFlags } from '../src/flags.ts';

describe('source-controller flags', () => {
  it('have Flux\'s names and defaults', () => {
    const f = sourceControllerFlags({ runtimeNamespace: 'flux-system', hostname: 'h' }).parse([]);
    expect({
      concurrent: f.concurrent,
      storagePath: f.storagePath,
      storageAddr: f.storageAddr,
      storageAdvAddr: f.storageAdvAddr,
      ttl: f.artifactRetentionTtl.milliseconds,
      records: f.artifactRetentionRecords,
    }).toEqual({ concurrent: 2, storagePath: '/data', storageAddr: ':9090', storageAdvAddr: 'source-controller.flux-system.svc.cluster.local.', ttl: 60_000, records: 2 });
  });

  it('parse pflag syntax', () => {
    const f = sourceControllerFlags({ runtimeNamespace: 'x', hostname: 'h' }).parse(['--storage-path', '/tmp/a', '--artifact-retention-ttl=2m', '--watch-all-namespaces=false']);
    expect([f.storagePath, f.artifactRetentionTtl.milliseconds, f.watchAllNamespaces]).toEqual(['/tmp/a', 120_000, false]);
  });

  it('docs/reference/source-controller-flags.md is up to date (else run: npm run docs:flags)', async () => {
    expect(await readFile(flagsReferencePath, 'utf8')).toBe(flagsReferencePage());
  });
});
