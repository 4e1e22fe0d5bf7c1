/**
 * What every controller's main.ts does around its wiring, written once: parse the command line
 * (help → stdout, exit 0; bad flag → one line on stderr, exit 2, as pflag does), and run the
 * manager until SIGTERM/SIGINT (graceful stop, then exit 0) or until it fails (exit 1).
 */
import { FlagError, HelpRequested, type FlagSet, type ParsedFlags } from '../flags/flag-set.ts';
import type { Logger } from '../logging/logger.ts';
import type { Manager } from './manager.ts';

/** The parts of `process` a controller process uses; main.ts passes `process`. */
export interface ProcessHandle {
  argv: string[];
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  exit(code: number): never;
  once(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** Parses the command line, or prints help or the flag error and exits. */
export function parseCommandLine<V extends object>(flags: FlagSet<V>, program: string, proc: ProcessHandle): ParsedFlags<V> {
  try {
    return flags.parse(proc.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      proc.stdout.write(`${flags.usage(program)}\n`);
      return proc.exit(0);
    }
    proc.stderr.write(`${err instanceof FlagError ? err.message : String(err)}\n`);
    return proc.exit(2);
  }
}

/**
 * Runs the manager until a termination signal (then stops it gracefully, runs `cleanup`, and
 * exits 0) or until it fails, e.g. leadership lost (exits 1).
 */
export function runUntilTerminated(manager: Manager, logger: Logger, proc: ProcessHandle, cleanup: () => Promise<void> = async () => undefined): void {
  const terminate = (): void => {
    manager
      .stop()
      .then(cleanup)
      .then(
        () => proc.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { error: err });
          proc.exit(1);
        },
      );
  };
  proc.once('SIGTERM', terminate);
  proc.once('SIGINT', terminate);
  manager.run().catch((err: unknown) => {
    logger.error('manager stopped', { error: err });
    proc.exit(1);
  });
}
