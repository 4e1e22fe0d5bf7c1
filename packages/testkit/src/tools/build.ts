/**
 * Builds the Go tools pinned in e2e/tools.json into a cache outside the clone, one folder per
 * tool and version, skipping what is already there. Every tool is built through a small wrapper
 * module (`module local.invalid/...`), because several of them (k8s.io/kubernetes,
 * go.etcd.io/etcd/server/v3) carry local `replace` directives that make `go install pkg@v`
 * refuse them. The wrapper copies the tool's versioned replaces and turns Kubernetes' staging
 * replaces (`./staging/src/k8s.io/X`) into `k8s.io/X v0.<minor>.<patch>`.
 *
 *   node e2e/src/tools/build.ts [name ...]     build all (or the named) tools, print progress
 *   node e2e/src/tools/build.ts --print-dir    print the cache folder and exit
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { runCommand } from '../env/process.ts';
import { goTools, toolBinDir, toolsCacheDir, type GoTool } from './manifest.ts';

/** One `replace` of a go.mod, as printed by `go mod edit -json`. */
interface GoModReplace {
  Old: { Path: string; Version?: string };
  New: { Path: string; Version?: string };
}

interface GoModJson {
  Go?: string;
  Replace?: GoModReplace[] | null;
}

function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
}

/**
 * The replace lines the wrapper module needs: the tool's own versioned replaces, and its
 * local staging replaces rewritten to the published staging version.
 */
export function wrapperReplaces(tool: GoTool, replaces: GoModReplace[]): string[] {
  const lines: string[] = [];
  const k8s = /^v1\.(\d+)\.(\d+)$/.exec(tool.version);
  for (const r of replaces) {
    const old = r.Old.Version ? `${r.Old.Path} ${r.Old.Version}` : r.Old.Path;
    if (r.New.Version) {
      lines.push(`${old} => ${r.New.Path} ${r.New.Version}`);
    } else if (r.New.Path.startsWith('./staging/src/') && k8s) {
      lines.push(`${old} => ${r.New.Path.slice('./staging/src/'.length)} v0.${k8s[1]}.${k8s[2]}`);
    }
    // Other local replaces (e.g. `./api`) point into the tool's own module: the published
    // module at the required version already holds that code.
  }
  return lines;
}

function ldflags(tool: GoTool): string {
  const flags = ['-s', '-w'];
  if (tool.versionStamp && tool.module === 'k8s.io/kubernetes') {
    const m = /^v(\d+)\.(\d+)\./.exec(tool.version);
    flags.push(
      `-X ${tool.versionStamp}.gitVersion=${tool.version}`,
      `-X ${tool.versionStamp}.gitMajor=${m?.[1] ?? ''}`,
      `-X ${tool.versionStamp}.gitMinor=${m?.[2] ?? ''}`,
      `-X ${tool.versionStamp}.gitTreeState=clean`,
    );
  } else if (tool.versionStamp) {
    flags.push(`-X ${tool.versionStamp}.version=${tool.version}`);
  }
  return flags.join(' ');
}

/** Builds one tool into its cache folder unless every binary is already there. */
export async function buildTool(tool: GoTool, log: (msg: string) => void): Promise<'present' | 'built'> {
  const bin = toolBinDir(tool);
  if (Object.keys(tool.binaries).every((b) => existsSync(join(bin, b)))) return 'present';
  const started = Date.now();
  const work = join(toolsCacheDir(), 'work', `${tool.name}-${tool.version}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const env = goEnv();

  log(`${tool.name} ${tool.version}: resolving ${tool.module}`);
  const dl = JSON.parse(await runCommand('go', ['mod', 'download', '-json', `${tool.module}@${tool.version}`], { cwd: work, env, timeoutMs: 0 })) as {
    GoMod: string;
  };
  const mod = JSON.parse(await runCommand('go', ['mod', 'edit', '-json', dl.GoMod], { cwd: work, env, timeoutMs: 0 })) as GoModJson;
  const replaces = wrapperReplaces(tool, mod.Replace ?? []);
  const goVersion = mod.Go ?? '1.22';
  const gomod = [
    `module local.invalid/eddy-tools/${tool.name}`,
    '',
    `go ${goVersion}`,
    '',
    `require ${tool.module} ${tool.version}`,
    '',
    `tool (\n${Object.values(tool.binaries).map((p) => `\t${p}`).join('\n')}\n)`,
    '',
    replaces.length ? `replace (\n${replaces.map((l) => `\t${l}`).join('\n')}\n)` : '',
    '',
  ].join('\n');
  await writeFile(join(work, 'go.mod'), gomod);

  log(`${tool.name} ${tool.version}: downloading modules (${replaces.length} replaces)`);
  await runCommand('go', ['mod', 'tidy'], { cwd: work, env, timeoutMs: 0 });

  const out = join(work, 'bin');
  await mkdir(out, { recursive: true });
  for (const [name, pkg] of Object.entries(tool.binaries)) {
    log(`${tool.name} ${tool.version}: compiling ${name}`);
    await runCommand('go', ['build', '-trimpath', '-ldflags', ldflags(tool), '-o', join(out, name), pkg], { cwd: work, env, timeoutMs: 0 });
  }
  // Publish the folder in one rename so a half-built tool is never taken as present.
  await rm(bin, { recursive: true, force: true });
  await mkdir(join(bin, '..'), { recursive: true });
  await rename(out, bin);
  await rm(work, { recursive: true, force: true });
  log(`${tool.name} ${tool.version}: built in ${Math.round((Date.now() - started) / 1000)}s`);
  return 'built';
}

/**
 * Builds every tool of the manifest (or the named ones) that is not in the cache yet,
 * reporting progress through `log`.
 */
export async function ensureTools(names: string[] | undefined, log: (msg: string) => void): Promise<void> {
  const tools = await goTools();
  const unknown = (names ?? []).filter((a) => !tools.some((t) => t.name === a));
  if (unknown.length) throw new Error(`unknown tool(s): ${unknown.join(', ')}; known: ${tools.map((t) => t.name).join(', ')}`);
  const wanted = names?.length ? tools.filter((t) => names.includes(t.name)) : tools;
  const missing = wanted.filter((t) => !Object.keys(t.binaries).every((b) => existsSync(join(toolBinDir(t), b))));
  if (!missing.length) return;
  const release = await takeBuildLock(log);
  try {
    log(`building ${missing.map((t) => `${t.name} ${t.version}`).join(', ')} from Go modules into ${toolsCacheDir()} (a cold build takes tens of minutes)`);
    // Another builder may have finished some while we waited for the lock; buildTool skips those.
    for (const tool of missing) await buildTool(tool, log);
  } finally {
    await release();
  }
}

/**
 * One builder at a time per cache: a lock folder holding the owner's pid. A lock whose owner
 * is gone is taken over.
 */
async function takeBuildLock(log: (msg: string) => void): Promise<() => Promise<void>> {
  const lock = join(toolsCacheDir(), '.build-lock');
  await mkdir(toolsCacheDir(), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return async () => {
        await rm(lock, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''), 10);
    if (!Number.isNaN(owner) && !processAlive(owner)) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (!announced) log(`waiting for another build of the tools (pid ${Number.isNaN(owner) ? '?' : owner}) to finish`);
    announced = true;
    await delay(1_000);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--print-dir')) {
    console.log(toolsCacheDir());
    return;
  }
  const started = Date.now();
  const log = (msg: string): void => console.error(`[tools ${Math.round((Date.now() - started) / 1000)}s] ${msg}`);
  await ensureTools(argv, log);
  log(`all tools ready in ${toolsCacheDir()}`);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
