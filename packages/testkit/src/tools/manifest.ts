/**
 * The pinned tool manifest (e2e/tools.json) and where each tool lives in the cache.
 * The cache is outside the clone: `$EDDY_CACHE`, else `$XDG_CACHE_HOME/eddy`, else `~/.cache/eddy`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../repo-root.ts';

/** A Go tool built from its module at a pinned version. */
export interface GoTool {
  name: string;
  module: string;
  version: string;
  /** Binary name → Go package path. */
  binaries: Record<string, string>;
  /** Package whose version variables are stamped at link time, if any. */
  versionStamp?: string;
}

interface ToolsManifest {
  node: Record<string, string>;
  go: Record<string, Omit<GoTool, 'name'>>;
  debian: string[];
}

/** The manifest's path: e2e/tools.json in the checkout. */
export function manifestPath(): string {
  return join(repoRoot(), 'e2e', 'tools.json');
}

/** Reads e2e/tools.json. */
export async function readManifest(): Promise<ToolsManifest> {
  return JSON.parse(await readFile(manifestPath(), 'utf8')) as ToolsManifest;
}

/** The Go tools of the manifest, each with its name. */
export async function goTools(): Promise<GoTool[]> {
  const m = await readManifest();
  return Object.entries(m.go).map(([name, t]) => ({ name, ...t }));
}

/** The root of Eddy's cache outside the clone. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['EDDY_CACHE'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'eddy');
}

/** Where built Go tools live: `<cache>/tools`. */
export function toolsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'tools');
}

/** The folder holding a tool's binaries: `<cache>/tools/<name>-<version>/bin`. */
export function toolBinDir(tool: Pick<GoTool, 'name' | 'version'>, env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsCacheDir(env), `${tool.name}-${tool.version}`, 'bin');
}
