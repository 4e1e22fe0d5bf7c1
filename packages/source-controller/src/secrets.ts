/** Reading the Secrets a source references, with errors that name the Secret and never its data. */
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Reason } from '@eddy/api';
import { ReconcileError } from '@eddy/runtime';

/** A Secret's data, decoded. */
export type SecretData = Record<string, Buffer>;

/**
 * Reads `namespace/name`. A missing or unreadable Secret is an AuthenticationFailed
 * ReconcileError that says which Secret and why, so the user can fix it.
 */
export async function readSecret(kc: KubeConfig, namespace: string, name: string, usedFor: string): Promise<SecretData> {
  try {
    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name, namespace });
    const data: SecretData = {};
    for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64');
    for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v);
    return data;
  } catch (err) {
    const why = err instanceof ApiException ? (err.code === 404 ? 'not found' : `HTTP ${err.code}`) : err instanceof Error ? err.message : String(err);
    throw new ReconcileError(Reason.AuthenticationFailed, `failed to get secret '${namespace}/${name}' (${usedFor}): ${why}`);
  }
}
