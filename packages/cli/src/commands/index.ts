/** Every command of `eddy`, registered on the program in the order `eddy --help` lists them. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerBootstrap } from './bootstrap.ts';
import { registerBuild } from './build.ts';
import { registerCheck } from './check.ts';
import { registerCreate } from './create/index.ts';
import { registerDiff } from './diff.ts';
import { registerEvents } from './events.ts';
import { registerExport } from './export.ts';
import { registerGet } from './get.ts';
import { registerInstall } from './install.ts';
import { registerReconcile } from './reconcile.ts';
import { registerRun } from './run.ts';
import { registerSuspendResume } from './suspend.ts';
import { registerTree } from './tree.ts';
import { registerUninstall } from './uninstall.ts';
import { registerVersion } from './version.ts';

/** Adds every command to `program`; `contextOf` gives an action its context. */
export function registerCommands(program: Command, contextOf: (cmd: Command) => CliContext): void {
  registerBootstrap(program, contextOf);
  registerInstall(program, contextOf);
  registerUninstall(program, contextOf);
  registerCheck(program, contextOf);
  registerVersion(program, contextOf);
  registerCreate(program, contextOf);
  registerGet(program, contextOf);
  registerReconcile(program, contextOf);
  registerSuspendResume(program, contextOf);
  registerExport(program, contextOf);
  registerTree(program, contextOf);
  registerEvents(program, contextOf);
  registerBuild(program, contextOf);
  registerDiff(program, contextOf);
  registerRun(program, contextOf);
}
