/**
 * Drift between a live object and the server's dry-run apply of the desired one. Both come from
 * the API server (defaults included), so fields the server manages by itself are the only noise
 * to remove before comparing.
 */
import { isRecord, type KubeObject } from './object.ts';

/** Metadata fields the API server sets on every write; never drift. */
const noisyMetadata = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'];

/** The object without server-managed noise: metadata above and `status`. */
export function withoutServerFields(obj: KubeObject): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  delete out['status'];
  const meta: Record<string, unknown> = { ...obj.metadata };
  for (const field of noisyMetadata) delete meta[field];
  out['metadata'] = meta;
  return out;
}

/** Most paths {@link changedPaths} reports: enough to say what drifted, short enough for a log. */
export const maxChangedPaths = 10;

/**
 * The JSON Pointers (RFC 6901) where `desired` differs from `live`, ignoring server-managed
 * noise; empty when they are equal. At most `limit` paths, depth first.
 */
export function changedPaths(live: KubeObject, desired: KubeObject, limit = maxChangedPaths): string[] {
  const out: string[] = [];
  walk(withoutServerFields(live), withoutServerFields(desired), '', out, limit);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) walk(a[key], b[key], `${path}/${escapePointer(key)}`, out, limit);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => walk(item, b[i], `${path}/${i}`, out, limit));
    return;
  }
  if (!jsonEqual(a, b)) out.push(path || '/');
}

/** Whether two JSON values are equal (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A key escaped for a JSON Pointer: `~` as `~0`, `/` as `~1`. */
export function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
