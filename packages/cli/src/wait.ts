/**
 * Waiting for a Flux object to finish reconciling, as `flux reconcile` does: the controller has
 * handled the request token (`status.lastHandledReconcileAt`), observed the generation, and
 * its Ready condition is True. A Ready=False that is final (not Reconciling, or Stalled) fails
 * at once with the controller's message.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { formatDuration } from '@eddy/api';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { text, type CliKind } from './kinds.ts';
import { conditionOf, getObject } from './objects.ts';

/** How often the object is read again while waiting. */
const pollIntervalMs = 500;

/** Where an object stands: done, failed (with why), or still going (with the latest message). */
export type ReconcileState = { state: 'ready'; obj: ApiObject } | { state: 'failed'; message: string } | { state: 'pending'; message: string };

/** The state of `obj`; with `token`, only a reconcile that handled that request counts. */
export function reconcileState(obj: ApiObject, token?: string): ReconcileState {
  const ready = conditionOf(obj, 'Ready');
  const lastMessage = ready?.message ?? 'waiting to be reconciled';
  if (token !== undefined && text(obj, 'status', 'lastHandledReconcileAt') !== token) return { state: 'pending', message: lastMessage };
  const generation = obj.metadata.generation;
  const observed = obj.status?.['observedGeneration'];
  const stalled = conditionOf(obj, 'Stalled');
  if (stalled?.status === 'True') return { state: 'failed', message: stalled.message ?? lastMessage };
  if (typeof generation === 'number' && observed !== generation) return { state: 'pending', message: lastMessage };
  if (ready?.status === 'True') return { state: 'ready', obj };
  if (ready?.status === 'False' && conditionOf(obj, 'Reconciling')?.status !== 'True') return { state: 'failed', message: lastMessage };
  return { state: 'pending', message: lastMessage };
}

/**
 * Reads the object until {@link reconcileState} says ready (returns it) or failed (throws its
 * message), bounded by `--timeout`; the controller's progress messages ("Building manifests for
 * revision …") are printed as they change.
 */
export async function waitForReconcile(ctx: CliContext, kind: CliKind, name: string, namespace: string, token?: string): Promise<ApiObject> {
  let last = 'not read yet';
  let shown = '';
  for (;;) {
    let state: ReconcileState;
    try {
      const obj = await getObject(ctx, kind, name, namespace);
      state = reconcileState(obj, token);
      if (state.state === 'pending') {
        const reconciling = conditionOf(obj, 'Reconciling');
        if (reconciling?.status === 'True' && reconciling.message && reconciling.message !== shown) {
          shown = reconciling.message;
          ctx.progress.waiting(shown);
        }
        await delay(pollIntervalMs, undefined, { signal: ctx.signal() });
      }
    } catch (err) {
      if (!ctx.signal().aborted) throw err;
      throw new CliError(`timed out after ${formatDuration(ctx.timeout)} waiting for ${kind.api.kind} ${namespace}/${name} to be reconciled: ${last}`, { cause: err });
    }
    if (state.state === 'ready') return state.obj;
    if (state.state === 'failed') throw new CliError(`${kind.api.kind} ${namespace}/${name} reconciliation failed: ${state.message}`);
    last = state.message;
  }
}
