/** Reading the Secrets a source references, with errors that name the Secret and never its data. */
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Reason } from '@eddy/api';
import { ReconcileError, type SecretData } from '@eddy/runtime';

export type { SecretData } from '@eddy/runtime';

/** Decodes a Secret's base64 `data` (and its plain `stringData`, which wins) into {@link SecretData}. */
export function decodeSecretData(data: Record<string, string> | undefined, stringData?: Record<string, string>): SecretData {
  const out: SecretData = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(stringData ?? {})) out[k] = Buffer.from(v);
  return out;
}

/**
 * Reads `namespace/name`. A missing or unreadable Secret is an AuthenticationFailed
 * ReconcileError that says which Secret and why, so the user can fix it.
 */
export async function readSecret(kc: KubeConfig, namespace: string, name: string, usedFor: string): Promise<SecretData> {
  try {
    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name, namespace });
    return decodeSecretData(secret.data, secret.stringData);
  } catch (err) {
    const why = err instanceof ApiException ? (err.code === 404 ? 'not found' : `HTTP ${err.code}`) : err instanceof Error ? err.message : String(err);
    throw new ReconcileError(Reason.AuthenticationFailed, `failed to get secret '${namespace}/${name}' (${usedFor}): ${why}`);
  }
}
