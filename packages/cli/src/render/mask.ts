/** Masking Secret values before `eddy build` and `eddy diff` print objects. */
import type { ApiObject } from '@eddy/runtime';

/** What a Secret value is shown as. */
export const secretMask = '****';

/**
 * The object with its Secret values masked: every `data` and `stringData` value becomes
 * {@link secretMask}, or `**** (before)` / `**** (after)` when `other` (the other side of a
 * diff) has a different value under the same key, so a change stays visible without its value.
 */
export function maskSecret<T extends Record<string, unknown> | ApiObject>(obj: T, other?: Record<string, unknown>, side: 'before' | 'after' = 'after'): T {
  if (obj['kind'] !== 'Secret' || obj['apiVersion'] !== 'v1') return obj;
  const out: Record<string, unknown> = { ...obj };
  for (const field of ['data', 'stringData']) {
    const values = obj[field] as Record<string, unknown> | undefined;
    if (!values || typeof values !== 'object') continue;
    const theirs = (other?.[field] ?? {}) as Record<string, unknown>;
    out[field] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, other && k in theirs && theirs[k] !== v ? `${secretMask} (${side})` : secretMask]));
  }
  return out as T;
}
