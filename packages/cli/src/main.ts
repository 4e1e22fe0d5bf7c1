#!/usr/bin/env node
/** The `eddy` executable: wiring only. Runs the command line against this process' streams and environment. */
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
