/**
 * Registering a generic verb over the kinds table: one sub-command per kind, nested under its
 * group word as the flux CLI spells them (`get source git`, `get sources git`,
 * `reconcile kustomization`, `suspend image update`).
 */
import type { Command } from 'commander';
import { cliKinds, type CliKind } from '../kinds.ts';

/** The description of a group word's command. */
const groupDescriptions: Record<NonNullable<CliKind['group']>, string> = {
  source: 'Sources: GitRepository, OCIRepository, HelmRepository, HelmChart, Bucket',
  image: 'Image automation: ImageRepository, ImagePolicy, ImageUpdateAutomation',
};

/**
 * Adds a sub-command of `verb` for every kind (`setup` adds its arguments, options and action)
 * and returns the group commands (`source`, `image`) so a verb can add `all` under them.
 */
export function forEachKind(verb: Command, describe: (kind: CliKind) => string, setup: (cmd: Command, kind: CliKind) => void, kinds: readonly CliKind[] = cliKinds): Map<string, Command> {
  const groups = new Map<string, Command>();
  for (const kind of kinds) {
    let parent = verb;
    if (kind.group) {
      let group = groups.get(kind.group);
      if (!group) {
        group = verb.command(kind.group).alias(`${kind.group}s`).description(groupDescriptions[kind.group]);
        groups.set(kind.group, group);
      }
      parent = group;
    }
    setup(parent.command(kind.noun).aliases([...kind.aliases]).description(describe(kind)), kind);
  }
  return groups;
}
