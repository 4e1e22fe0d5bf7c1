/**
 * Condition bookkeeping shared by the source reconcilers: a failing step marks its abnormal
 * condition (FetchFailed, StorageOperationFailed, ...) before the runtime turns the error into
 * Ready=False; a stored artifact clears them.
 */
import { ConditionType, Reason, type ConditionTypeName } from '@eddy/api';
import { ReconcileFailure, deleteCondition, markTrue, type ConditionsObject } from '@eddy/runtime';

/**
 * Runs a step; when it fails with a typed error, marks `condition`=True with the error's reason
 * and message (so `kubectl describe` shows which step failed) and rethrows for the runtime.
 */
export async function step<T>(obj: ConditionsObject, condition: ConditionTypeName, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ReconcileFailure) markTrue(obj, condition, err.reason, err.message);
    throw err;
  }
}

/** Marks the artifact stored and the object Ready, clearing the failure conditions. */
export function markArtifactStored(obj: ConditionsObject, message: string): void {
  for (const failed of [ConditionType.FetchFailed, ConditionType.StorageOperationFailed, ConditionType.ArtifactOutdated, ConditionType.IncludeUnavailable, ConditionType.BuildFailed]) {
    deleteCondition(obj, failed);
  }
  markTrue(obj, ConditionType.ArtifactInStorage, Reason.Succeeded, message);
  markTrue(obj, ConditionType.Ready, Reason.Succeeded, message);
}
