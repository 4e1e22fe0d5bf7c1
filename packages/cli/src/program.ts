/**
 * The `eddy` command tree (commander) with the flux CLI's global flags, and {@link runCli},
 * which runs one command line and turns every failure into one `✗` line on stderr and an exit
 * code: 0 success, 1 failure, 2 a usage mistake (bad flag, unknown command).
 */
import { Command, CommanderError } from 'commander';
import { CliContext, defaultNamespace, type CliIO, type GlobalOptions } from './context.ts';
import { CliError, oneLine, usageExitCode } from './errors.ts';
import { registerCommands } from './commands/index.ts';
import { cliVersion } from './version.ts';

/** What a run ends with, set by commands whose success is not exit 0 (`eddy diff` with changes: 1). */
export interface RunState {
  exitCode: number;
}

/** Builds the command tree writing to `io`; `state` receives a command's own exit code. */
export function buildProgram(io: CliIO, state: RunState = { exitCode: 0 }): Command {
  const program = new Command('eddy')
    .description('Eddy: a GitOps toolkit serving the Flux APIs. Install it, create and drive its objects, and preview changes before they are committed.')
    .version(cliVersion, '--version', 'print the CLI version')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace of the objects (and of the controllers for install, check, run)', defaultNamespace)
    .option('--timeout <duration>', 'time limit of the whole command, as a Go duration', '5m0s')
    .option('--verbose', 'print more detail')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`✗ ${oneLine(s.replace(/^error: /, ''))}\n`),
    })
    .exitOverride()
    .showSuggestionAfterError(true);
  const contextOf = (cmd: Command): CliContext => new CliContext(io, cmd.optsWithGlobals<GlobalOptions>(), state);
  registerCommands(program, contextOf);
  return program;
}

/** Runs one command line (the arguments after `eddy`) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const state: RunState = { exitCode: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end with 0; commander printed its error line already.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help') return argv.length === 0 ? 0 : usageExitCode;
      return usageExitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`✗ ${oneLine(message) || 'failed'}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
