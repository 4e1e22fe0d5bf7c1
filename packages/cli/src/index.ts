/**
 * @eddy/cli: the `eddy` command line. Run it with `node packages/cli/src/main.ts` (or
 * `npm run eddy --`); {@link buildProgram} is the command tree the reference docs are
 * generated from.
 */
export { buildProgram, runCli, type RunState } from './program.ts';
export type { CliIO } from './context.ts';
export { cliKinds, type CliKind } from './kinds.ts';
