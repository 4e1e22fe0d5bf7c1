/**
 * OCIRepository (`source.toolkit.fluxcd.io/v1`): resolves `spec.ref` in an OCI registry, pulls
 * the selected layer of that manifest (digest-verified), and stores it as an artifact, either
 * extracted and re-archived or copied verbatim. The story, top to bottom:
 *
 *   lifecycle (deleted → remove artifacts; finalizer; suspended)
 *   → connect (credentials, TLS) → resolve the revision
 *   → unchanged and still stored? done
 *   → pull → store (archive or copy, latest link, garbage collection) → Ready
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConditionType, Reason, parseDuration, type OCIRepository } from '@eddy/api';
import { Deadline, StallingError, extractArchive, type ReconcileContext, type ReconcileResult, type Reconciler } from '@eddy/runtime';
import { credentialsFromSecret, providerCredentials, tlsFromSecret, type RegistryCredentials, type RegistryTLS } from '../oci/auth.ts';
import { RegistryClient } from '../oci/client.ts';
import { pull, resolve } from '../oci/pull.ts';
import { parseRepositoryURL } from '../oci/reference.ts';
import { readSecret } from '../secrets.ts';
import { markArtifactStored, step } from '../source-conditions.ts';
import { loadIgnoreRules } from '../storage/ignore.ts';
import type { Storage } from '../storage/storage.ts';

/** Largest layer pulled, and largest extracted content (512 MiB). */
export const maxLayerSize = 512 << 20;

/**
 * Stalls on the fields Eddy does not implement yet, rather than ignoring them: a user who set
 * them expects them to act (an unverified artifact must not pass for a verified one).
 */
function refuseUnsupported(obj: OCIRepository): void {
  if (obj.spec.verify) {
    throw new StallingError(Reason.VerificationError, `spec.verify (provider '${obj.spec.verify.provider}') is not supported by Eddy yet; the artifact is not used unverified`);
  }
  if (obj.spec.proxySecretRef) {
    throw new StallingError(Reason.InvalidProviderConfiguration, 'spec.proxySecretRef is not supported by Eddy yet; remove it to connect directly');
  }
  if (obj.spec.serviceAccountName) {
    throw new StallingError(Reason.InvalidProviderConfiguration, 'spec.serviceAccountName (image pull secrets) is not supported by Eddy yet; use spec.secretRef');
  }
}

/** The OCIRepository reconciler. */
export class OCIRepositoryReconciler implements Reconciler<OCIRepository> {
  private readonly storage: Storage;

  constructor(deps: { storage: Storage }) {
    this.storage = deps.storage;
  }

  async reconcile(obj: OCIRepository, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { namespace = '', name = '' } = obj.metadata;
    // Lifecycle.
    if (obj.metadata.deletionTimestamp) {
      await this.storage.remove('OCIRepository', namespace, name);
      return await ctx.finalizeDeletion();
    }
    await ctx.ensureFinalizer();
    if (obj.spec.suspend) return ctx.suspended();
    refuseUnsupported(obj);

    // The controller's shutdown or spec.timeout, whichever first, bounds this reconcile's I/O.
    using deadline = new Deadline(parseDuration(obj.spec.timeout ?? '60s').milliseconds, ctx.signal);
    const signal = deadline.signal;
    // Connect: the registry client carries the credentials and TLS settings for this reconcile.
    const repo = await step(obj, ConditionType.FetchFailed, async () => parseRepositoryURL(obj.spec.url));
    await using client = await step(obj, ConditionType.FetchFailed, async () => {
      return new RegistryClient(repo, {
        ...(await this.credentials(obj, repo.registry, ctx, signal)),
        insecure: obj.spec.insecure ?? false,
      });
    });

    // Resolve the revision: the digest the ref points at now.
    const resolved = await step(obj, ConditionType.FetchFailed, () => resolve(client, obj.spec.ref, { signal }));
    const current = obj.status?.artifact;
    const selectorChanged = JSON.stringify(obj.spec.layerSelector ?? null) !== JSON.stringify(obj.status?.observedLayerSelector ?? null);
    const ignoreChanged = (obj.spec.ignore ?? '') !== (obj.status?.observedIgnore ?? '');
    if (current?.revision === resolved.revision && !selectorChanged && !ignoreChanged && (await this.storage.exists(current))) {
      markArtifactStored(obj, `stored artifact for digest '${resolved.revision}'`);
      return ctx.requeueAtInterval();
    }
    await ctx.progress(`building artifact: new revision '${resolved.revision}'`);

    // Pull and store.
    const copy = obj.spec.layerSelector?.operation === 'copy';
    const work = await mkdtemp(join(this.storage.root, '.pull-'));
    try {
      const dest = join(work, copy ? 'layer.tar.gz' : 'content');
      const pulled = await step(obj, ConditionType.FetchFailed, () =>
        pull(client, resolved.digest, obj.spec.layerSelector, dest, { maxSize: maxLayerSize, extract: extractArchive, signal, tmpDir: work }),
      );
      const digestHex = resolved.digest.slice(resolved.digest.indexOf(':') + 1);
      const artifact = this.storage.artifactFor('OCIRepository', namespace, name, resolved.revision, `${digestHex}.tar.gz`);
      const stored = await step(obj, ConditionType.StorageOperationFailed, async () => {
        const a = copy
          ? await this.storage.copy(artifact, dest, signal)
          : await this.storage.archive(artifact, dest, await loadIgnoreRules(dest, obj.spec.ignore, { signal }), signal);
        return { ...a, metadata: pulled.metadata };
      });
      const latestUrl = await step(obj, ConditionType.StorageOperationFailed, () => this.storage.symlinkLatest(stored));
      await this.storage.garbageCollect('OCIRepository', namespace, name, stored).catch((err: unknown) => ctx.log.error('garbage collection failed', { error: err }));

      const status = (obj.status ??= {});
      const isNew = status.artifact?.revision !== stored.revision;
      status.artifact = stored;
      status.url = latestUrl;
      if (obj.spec.layerSelector) status.observedLayerSelector = obj.spec.layerSelector;
      else delete status.observedLayerSelector;
      if (obj.spec.ignore !== undefined) status.observedIgnore = obj.spec.ignore;
      else delete status.observedIgnore;
      const message = `stored artifact for digest '${stored.revision}'`;
      markArtifactStored(obj, message);
      if (isNew) ctx.event('Normal', Reason.NewArtifact, message, { revision: stored.revision, digest: stored.digest });
      return ctx.requeueAtInterval();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Credentials and TLS for the registry: the Secret, else the cloud provider; the CA/client cert Secret. */
  private async credentials(
    obj: OCIRepository,
    registry: string,
    ctx: ReconcileContext,
    signal: AbortSignal,
  ): Promise<{ credentials?: RegistryCredentials; tls?: RegistryTLS }> {
    const namespace = obj.metadata.namespace ?? '';
    const out: { credentials?: RegistryCredentials; tls?: RegistryTLS } = {};
    if (obj.spec.secretRef) {
      const data = await readSecret(ctx.kubeConfig, namespace, obj.spec.secretRef.name, 'spec.secretRef');
      const credentials = credentialsFromSecret(data, obj.spec.secretRef.name, registry);
      if (credentials) out.credentials = credentials;
    } else {
      const credentials = await providerCredentials(obj.spec.provider, registry, { signal });
      if (credentials) out.credentials = credentials;
    }
    if (obj.spec.certSecretRef) {
      out.tls = tlsFromSecret(await readSecret(ctx.kubeConfig, namespace, obj.spec.certSecretRef.name, 'spec.certSecretRef'), obj.spec.certSecretRef.name);
    }
    return out;
  }
}
