/** The table of kinds Eddy serves (generated from the schema), and lookups over it. */
import { kindTable } from './generated/kinds.ts';

/** Names and resource of one kind. */
export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
}

/** Every kind, in reference order. */
export const kinds: readonly KindInfo[] = kindTable;

/**
 * The kind a user means by `name`: its kind name, plural, singular or a short name,
 * case-insensitively (`gitrepo`, `GitRepository`, `gitrepositories`).
 */
export function kindInfo(name: string): KindInfo | undefined {
  const n = name.toLowerCase();
  return kindTable.find(
    (k) => k.kind.toLowerCase() === n || k.plural === n || k.singular === n || k.shortNames.includes(n),
  );
}

/** The distinct `group/version` strings, e.g. `source.toolkit.fluxcd.io/v1`. */
export function groupVersions(): string[] {
  return [...new Set(kindTable.map((k) => `${k.group}/${k.version}`))];
}
