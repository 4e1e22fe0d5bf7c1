/** How prune and health checks quote a failed request in a change or a health result. */
import { KubeApiError, redactUrls } from '@eddy/runtime';

/**
 * The message of a thrown value, with URL credentials removed; an API server error also names
 * its HTTP status, e.g. `configmaps "a" is forbidden: … (HTTP 403)`.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof KubeApiError) return redactUrls(`${err.message} (HTTP ${err.code})`);
  return redactUrls(err instanceof Error ? err.message : String(err));
}
