/** The one error type commands throw: a message a person can act on, printed on one line. */

/** Options of a {@link CliError}. */
export interface CliErrorOptions {
  /** A mistake on the command line (bad flag, missing argument): exit code 2. */
  usage?: boolean;
  /** The exit code, when neither 1 nor the usage code. */
  exitCode?: number;
  cause?: unknown;
}

/** Exit code of a usage error (as pflag's). */
export const usageExitCode = 2;

/** A failure of a command; main prints `✗ <message>` and exits with {@link CliError.exitCode}. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, opts: CliErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.exitCode = opts.exitCode ?? (opts.usage ? usageExitCode : 1);
  }
}

/** The error as one line: newlines of multi-line messages (health checks, kustomize) joined. */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
}
