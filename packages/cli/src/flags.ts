/** Parsers of flag values shared by commands, each failing with a usage error that names the flag. */
import { formatDuration, parseDuration } from '@eddy/api';
import { CliError } from './errors.ts';

/** Collects a repeatable flag's values (commander's parser for `--flag a --flag b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses a boolean flag value given as `--flag=false` or `--flag false` (a bare `--flag` is true). */
export function booleanValue(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new CliError(`invalid boolean '${value}': expected true or false`, { usage: true });
}

/** A flag value as a Go duration in Go's form (`1m` → `1m0s`). */
export function durationFlag(flag: string, value: string): string {
  try {
    return formatDuration(parseDuration(value));
  } catch (err) {
    throw new CliError(`invalid --${flag}: ${err instanceof Error ? err.message : String(err)}`, { usage: true });
  }
}
