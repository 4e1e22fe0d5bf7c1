/**
 * The change set of an apply: what happened to each object, in Flux's vocabulary and change-log
 * format (`Deployment/apps/web configured`), as kustomize-controller emits it in its events.
 */

/** What an apply did (or would do) to one object. */
export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'skipped' | 'deleted';

/** One object of a {@link ChangeSet}. */
export interface ChangeSetEntry {
  /** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object. */
  subject: string;
  action: ChangeAction;
  /** For `configured`: the JSON Pointers of (some of) the fields that change. */
  changedPaths?: string[];
  /**
   * The object as the API server has it after the apply: the apply's answer (created,
   * configured) or the live object read (unchanged). A health check can start from it instead
   * of reading the object again.
   */
  object?: Record<string, unknown>;
}

/** The entries of one apply, in the order the objects were given (staged calls: stage order). */
export class ChangeSet {
  readonly entries: ChangeSetEntry[];

  constructor(entries: ChangeSetEntry[] = []) {
    this.entries = entries;
  }

  /** Appends the entries of another change set. */
  append(other: ChangeSet): void {
    this.entries.push(...other.entries);
  }

  /** The change log, one `<subject> <action>` line per entry. */
  logLines(): string[] {
    return this.entries.map((e) => `${e.subject} ${e.action}`);
  }

  /** The change log as one string, a line per entry (Flux's event message). */
  toString(): string {
    return this.logLines().join('\n');
  }

  /** The entries whose action is not `unchanged`: what actually changed (or was skipped). */
  changes(): ChangeSetEntry[] {
    return this.entries.filter((e) => e.action !== 'unchanged');
  }
}
