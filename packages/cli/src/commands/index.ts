/** Every command of `eddy`, registered on the program in the order `eddy --help` lists them. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerGet } from './get.ts';

/** Adds every command to `program`; `contextOf` gives an action its context. */
export function registerCommands(program: Command, contextOf: (cmd: Command) => CliContext): void {
  registerGet(program, contextOf);
}
