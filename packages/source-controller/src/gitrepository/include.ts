/**
 * `spec.include`: copying the artifacts of other GitRepositories (same namespace) into this one's
 * tree before it is archived. Each included artifact is read from the local storage, its digest
 * verified, extracted safely, and its `fromPath` copied to `toPath`.
 */
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { Reason, type Artifact, type GitRepository, type GitRepositoryInclude } from '@eddy/api';
import { ReconcileError, StallingError, WaitingError, extractArchive, isInside, verifyDigest } from '@eddy/runtime';
import type { Storage } from '../storage/storage.ts';

/** Largest included artifact, extracted (512 MiB). */
const maxIncludeSize = 512 << 20;

/** The included GitRepositories' artifacts, in include order; waits when one has none yet. */
export function includedArtifacts(obj: GitRepository, lookup: (namespace: string, name: string) => GitRepository | undefined, requeueMs: number): Artifact[] {
  const namespace = obj.metadata.namespace ?? '';
  return (obj.spec.include ?? []).map((inc) => {
    const included = lookup(namespace, inc.repository.name);
    const artifact = included?.status?.artifact;
    if (!artifact) {
      throw new WaitingError(
        Reason.DependencyNotReady,
        `included GitRepository '${namespace}/${inc.repository.name}' ${included ? 'has no artifact yet' : 'does not exist'}`,
        requeueMs,
      );
    }
    return artifact;
  });
}

/** Copies each included artifact's `fromPath` into `dir`/`toPath` (default: the included repository's name). */
export async function copyIncludes(dir: string, includes: GitRepositoryInclude[], artifacts: Artifact[], storage: Storage, signal: AbortSignal): Promise<void> {
  for (const [i, inc] of includes.entries()) {
    const artifact = artifacts[i]!;
    const toPath = inc.toPath ?? inc.repository.name;
    const target = resolve(dir, toPath);
    if (!isInside(dir, target) || target === resolve(dir)) {
      throw new StallingError(Reason.InvalidPath, `include '${inc.repository.name}': toPath '${toPath}' must be a folder inside the repository`);
    }
    const file = storage.localPath(artifact);
    const tmp = await mkdtemp(join(storage.root, '.include-'));
    try {
      await verifyDigest(file, artifact.digest, signal).catch((err: unknown) => {
        throw new ReconcileError(Reason.ArtifactFailed, `included artifact of '${inc.repository.name}' failed verification: ${(err as Error).message}`);
      });
      const content = join(tmp, 'content');
      await extractArchive(file, content, { maxSize: maxIncludeSize, signal });
      const from = resolve(content, inc.fromPath ?? '.');
      if (!isInside(content, from) && from !== content) {
        throw new StallingError(Reason.InvalidPath, `include '${inc.repository.name}': fromPath '${inc.fromPath}' leaves the included artifact`);
      }
      const exists = await stat(from).catch(() => undefined);
      if (!exists) {
        throw new ReconcileError(Reason.ArtifactFailed, `include '${inc.repository.name}': fromPath '${relative(content, from)}' does not exist in revision '${artifact.revision}'`);
      }
      await rm(target, { recursive: true, force: true });
      await cp(from, target, { recursive: true });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
