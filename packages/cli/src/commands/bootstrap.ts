/**
 * `eddy bootstrap git`: install Eddy the GitOps way, as `flux bootstrap git` does — write the
 * component manifests and a sync pair (GitRepository + Kustomization reconciling `--path`) into
 * `<path>/<namespace>/` of the repository, commit and push them, install the components on the
 * first run, create the credentials Secret, apply the sync pair, and wait until the cluster
 * runs the pushed revision. It converges: a second run with the same flags commits nothing and
 * changes nothing in the cluster; with new flags (another --interval, more components) it
 * commits the difference and the cluster upgrades itself from Git.
 */
import type { Command } from 'commander';
import { Deadline, redactUrls } from '@eddy/runtime';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { booleanValue, collect, durationFlag } from '../flags.ts';
import { applyObject, confirmComponents, credentialsSecret, findObject, installComponents, installedBySync, waitForRevision } from '../bootstrap/cluster.ts';
import { credentialsFromFlags, type BootstrapCredentials } from '../bootstrap/credentials.ts';
import { PushRejectedError, withGitTree, type GitAuthor, type GitTree } from '../bootstrap/git-tree.ts';
import { bootstrapLayout, componentsFile, kustomizationFile, kustomizationPath, normalizePath, syncFile, syncObjects, type SyncSpec } from '../bootstrap/manifests.ts';
import { defaultComponents, selectComponents, type Component } from '../install/components.ts';
import { installManifests, type Manifest } from '../install/manifests.ts';
import { text } from '../kinds.ts';
import { cliVersion } from '../version.ts';

interface BootstrapGitOptions {
  url: string;
  branch: string;
  path?: string;
  username?: string;
  password?: string;
  privateKeyFile?: string;
  allowInsecureHttp: boolean;
  secretName: string;
  interval: string;
  components?: string[];
  componentsExtra?: string[];
  watchAllNamespaces: boolean;
  logLevel: string;
  authorName: string;
  authorEmail?: string;
  commitMessageAppendix?: string;
  silent?: boolean;
}

/** How often a push refused because the branch moved on is retried from a fresh fetch. */
const pushAttempts = 3;

/** A commit message with `--commit-message-appendix`. */
function message(subject: string, appendix: string | undefined): string {
  return appendix ? `${subject}\n\n${appendix}` : subject;
}

/**
 * Refuses what would hurt a cluster bootstrapped before: another sync path (the Kustomization
 * would prune everything the old path applied) always; another repository or branch only with
 * confirmation (or --silent).
 */
async function checkExisting(ctx: CliContext, spec: SyncSpec, silent: boolean): Promise<boolean> {
  const name = spec.namespace;
  const ks = await findObject(ctx, { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name, namespace: name });
  if (ks) {
    const path = text(ks, 'spec', 'path');
    if (normalizePath(path) !== spec.path) {
      throw new CliError(`Kustomization ${name}/${name} already reconciles path '${path}', not '${kustomizationPath(spec.path)}': run bootstrap with --path=${path.replace(/^\.\//, '') || '.'}, or delete that Kustomization first (changing the path would prune what it applied)`);
    }
  }
  const repo = await findObject(ctx, { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name, namespace: name });
  if (repo && (text(repo, 'spec', 'url') !== spec.url || text(repo, 'spec', 'ref', 'branch') !== spec.branch)) {
    const was = `${redactUrls(text(repo, 'spec', 'url'))} branch ${text(repo, 'spec', 'ref', 'branch') || '(none)'}`;
    const question = `GitRepository ${name}/${name} reads ${was}; point it at ${redactUrls(spec.url)} branch ${spec.branch}?`;
    if (!silent) {
      if (!ctx.io.confirm) throw new CliError(`GitRepository ${name}/${name} reads ${was}: pass --silent to point it at ${redactUrls(spec.url)} branch ${spec.branch}`, { usage: true });
      if (!(await ctx.io.confirm(question))) throw new CliError('bootstrap cancelled');
    }
  }
  return installedBySync(ks);
}

/** Writes one file set and commits it when it changed, printing what happened. */
async function commitFiles(ctx: CliContext, tree: GitTree, files: Record<string, string>, subject: string, opts: BootstrapGitOptions, author: GitAuthor): Promise<boolean> {
  await tree.write(files);
  const sha = await tree.commit(Object.keys(files), message(subject, opts.commitMessageAppendix), author);
  if (sha) ctx.progress.success(`committed "${subject}" to "${opts.branch}" (${sha.slice(0, 12)})`);
  return sha !== undefined;
}

/**
 * The Git part: fetch the branch, write and commit the component and sync manifests where they
 * changed, push. Returns the pushed (or unchanged) head. A push refused because the branch
 * moved on meanwhile starts again from a fresh fetch.
 */
async function writeToGit(ctx: CliContext, creds: BootstrapCredentials, spec: SyncSpec, files: { components: string; sync: string }, opts: BootstrapGitOptions): Promise<string> {
  const layout = bootstrapLayout(spec.path, spec.namespace);
  const author = { name: opts.authorName, email: opts.authorEmail ?? '' };
  const deadline = new Deadline(ctx.timeout.milliseconds, ctx.signal());
  const env = { PATH: ctx.io.env['PATH'] ?? '/usr/bin:/bin', ...Object.fromEntries(['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'].flatMap((k) => (ctx.io.env[k] ? [[k, ctx.io.env[k] as string]] : []))) };
  for (let attempt = 1; ; attempt++) {
    try {
      return await withGitTree({ url: creds.url, branch: opts.branch, auth: creds.auth, env, deadline, credentialsHint: creds.hint }, async (tree) => {
        ctx.progress.action(`cloning branch "${opts.branch}" from Git repository "${redactUrls(creds.url)}"`);
        const origin = await tree.checkout();
        ctx.progress.success(origin === 'existing' ? 'cloned repository' : origin === 'empty-repository' ? 'the repository is empty: starting its first commit' : `branch "${opts.branch}" is new: starting it from the default branch`);
        const components = await commitFiles(ctx, tree, { [layout.components]: files.components }, `Add Eddy v${cliVersion} component manifests`, opts, author);
        const syncFiles: Record<string, string> = { [layout.sync]: files.sync };
        if ((await tree.read(layout.kustomization)) === undefined) syncFiles[layout.kustomization] = kustomizationFile();
        const sync = await commitFiles(ctx, tree, syncFiles, 'Add Eddy sync manifests', opts, author);
        if (components || sync) {
          ctx.progress.action(`pushing to "${opts.branch}"`);
          await tree.push();
          ctx.progress.success('pushed');
        } else {
          ctx.progress.success(`${layout.dir}/ in "${opts.branch}" is up to date: nothing to commit`);
        }
        return await tree.head();
      });
    } catch (err) {
      if (!(err instanceof PushRejectedError) || attempt >= pushAttempts) throw err;
      ctx.progress.warning(`the branch moved on while bootstrapping: fetching it again (${err.message})`);
    }
  }
}

/** Runs `eddy bootstrap git`. */
async function bootstrapGit(ctx: CliContext, opts: BootstrapGitOptions): Promise<void> {
  const path = normalizePath(opts.path ?? '');
  const components: Component[] = selectComponents([...(opts.components ?? defaultComponents), ...(opts.componentsExtra ?? [])]);
  const interval = durationFlag('interval', opts.interval);
  if (!/^(trace|debug|info|error)$/.test(opts.logLevel)) throw new CliError(`invalid --log-level '${opts.logLevel}': expected one of trace, debug, info, error`, { usage: true });
  const creds = await credentialsFromFlags(opts.url, opts, ctx.io.env, new Deadline(ctx.timeout.milliseconds, ctx.signal()), ctx.io.cwd);
  for (const key of creds.hostKeys ?? []) ctx.progress.success(`trusting the SSH host key ${key}`);
  const spec: SyncSpec = { namespace: ctx.namespace, url: creds.url, branch: opts.branch, path, interval, ...(creds.secretData ? { secretName: opts.secretName } : {}) };

  ctx.progress.action('checking what the cluster already has');
  const installed = await checkExisting(ctx, spec, opts.silent ?? false);
  const manifests: Manifest[] = await installManifests({ namespace: ctx.namespace, components, version: cliVersion, watchAllNamespaces: opts.watchAllNamespaces, logLevel: opts.logLevel });
  const files = { components: componentsFile(manifests, cliVersion, components.map((c) => c.name)), sync: syncFile(spec) };

  const head = await writeToGit(ctx, creds, spec, files, opts);
  if (!head) throw new CliError(`branch "${opts.branch}" has no commit after bootstrapping`);
  const revision = `${opts.branch}@sha1:${head}`;

  // The first run installs; later runs leave the components to the cluster, which applies them from Git.
  if (installed) ctx.progress.success(`components are managed by Kustomization ${ctx.namespace}/${ctx.namespace}: applied from Git`);
  else await installComponents(ctx, manifests, components);

  if (creds.secretData && spec.secretName) {
    const outcome = await applyObject(ctx, credentialsSecret(ctx.namespace, spec.secretName, creds.secretData));
    ctx.progress.success(`source secret ${ctx.namespace}/${spec.secretName} ${outcome}`);
  }
  for (const obj of syncObjects(spec)) {
    const outcome = await applyObject(ctx, obj);
    ctx.progress.success(`${obj.kind} ${ctx.namespace}/${obj.metadata.name ?? ''} ${outcome}`);
  }
  await waitForRevision(ctx, ctx.namespace, revision);
  await confirmComponents(ctx, components);
  ctx.progress.success('bootstrap finished');
}

/** Registers `eddy bootstrap git`. */
export function registerBootstrap(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const bootstrap = program.command('bootstrap').description('Install Eddy the GitOps way: its manifests go into a Git repository, and the cluster reconciles itself from it');
  bootstrap
    .command('git')
    .description('Bootstrap from any Git server: commit the manifests to <path>/<namespace>/, push, install, and wait until the cluster runs the pushed revision (re-running changes nothing)')
    .requiredOption('--url <url>', 'Git repository address: https://, http:// (with --allow-insecure-http) or ssh://')
    .option('--branch <branch>', 'Git branch', 'main')
    .option('--path <path>', 'folder of the repository the cluster reconciles, e.g. clusters/my-cluster (default: the root)')
    .option('-u, --username <name>', 'user for HTTP basic authentication (for ssh:// it becomes the URL user when the URL has none)')
    .option('-p, --password <password>', 'password or token for HTTP basic authentication (better: the GIT_PASSWORD environment variable)')
    .option('--private-key-file <file>', 'SSH private key (without passphrase) for an ssh:// URL, used by this command and stored in the Secret')
    .option('--allow-insecure-http [bool]', 'allow a plain http:// URL', booleanValue, false)
    .option('--secret-name <name>', 'name of the Secret with the Git credentials', 'flux-system')
    .option('--interval <duration>', 'how often the GitRepository checks the branch for new commits', '1m0s')
    .option('--components <names>', `controllers to install (comma-separated or repeated; default ${defaultComponents.join(',')})`, collect)
    .option('--components-extra <names>', 'controllers to install besides --components (comma-separated or repeated)', collect)
    .option('--watch-all-namespaces [bool]', 'controllers reconcile objects in every namespace (false: only their own)', booleanValue, true)
    .option('--log-level <level>', "controllers' log level: trace, debug, info, error", 'info')
    .option('--author-name <name>', 'author of the commits', 'Eddy')
    .option('--author-email <email>', 'email of the commit author (default: none)')
    .option('--commit-message-appendix <text>', 'text added to every commit message')
    .option('-s, --silent', 'do not ask for confirmation (pointing an existing bootstrap at another repository or branch)')
    .action(async (opts: BootstrapGitOptions, cmd: Command) => {
      await bootstrapGit(contextOf(cmd), opts);
    });
}
