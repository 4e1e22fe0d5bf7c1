/**
 * The real local environment every Eddy test runs against, all on 127.0.0.1 with ports chosen
 * free at start: etcd; kube-apiserver (TLS, token auth, RBAC); kube-controller-manager;
 * kube-scheduler; kwok managing fake Nodes; a git server over smart HTTP (basic auth) and SSH
 * (key auth, its own sshd); two OCI registries (without and with basic auth); two Helm HTTP
 * repositories (without and with basic auth).
 *
 * {@link startEnvironment} brings it up and writes `env.json` + `kubeconfig` into the state
 * folder; {@link stopEnvironment} stops every process group it started. A failed start stops
 * what had started and throws with the tail of the failing component's log.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { repoRoot } from '../repo-root.ts';
import { ensureTools } from '../tools/build.ts';
import { toolBinDir, goTools } from '../tools/manifest.ts';
import { httpGet } from './http-get.ts';
import { readEnvInfo, type EnvInfo, type TokenUser } from './info.ts';
import { makePki } from './pki.ts';
import { freePorts } from './ports.ts';
import {
  detach,
  groupAlive,
  runCommand,
  startProcess,
  stopGroup,
  waitReady,
  type ManagedProcess,
  type ProcessRecord,
} from './process.ts';
import { createKwokNodes, waitNodesReady } from './nodes.ts';
import type { ServersConfig } from './servers.ts';

/** Options of {@link startEnvironment}. */
export interface StartEnvironmentOptions {
  /** Folder for env.json and kubeconfig (e.g. `.eddy/env`). */
  stateDir: string;
  /** Number of kwok Nodes to create (at least 2). */
  nodes?: number;
  /** Let the processes outlive this Node process (for `npm run env:up`). */
  detached?: boolean;
  /** Progress lines. */
  log?: (msg: string) => void;
  /** Extra arguments per component (e.g. `{ 'kube-apiserver': ['--v=4'] }`), for debugging and tests. */
  extraArgs?: Record<string, string[]>;
}

const secret = (): string => randomBytes(18).toString('base64url');

/** Paths of the Debian tools the environment uses, checked before anything starts. */
const debianTools = {
  git: '/usr/bin/git',
  gitHttpBackend: '/usr/lib/git-core/git-http-backend',
  gitShell: '/usr/bin/git-shell',
  sshd: '/usr/sbin/sshd',
  sshKeygen: '/usr/bin/ssh-keygen',
  age: '/usr/bin/age',
  ageKeygen: '/usr/bin/age-keygen',
  openssl: '/usr/bin/openssl',
  htpasswd: '/usr/bin/htpasswd',
};

function checkDebianTools(): void {
  const missing = Object.entries(debianTools).filter(([, p]) => !existsSync(p));
  if (missing.length) {
    throw new Error(
      `missing system tools: ${missing.map(([n, p]) => `${n} (${p})`).join(', ')}; ` +
        'install them with: apt-get update && apt-get install -y git openssh-server openssh-client age openssl apache2-utils',
    );
  }
}

/** Starts the whole environment; see the module comment. */
export async function startEnvironment(opts: StartEnvironmentOptions): Promise<EnvInfo> {
  const log = opts.log ?? ((msg: string) => console.error(msg));
  const started = Date.now();
  const step = (msg: string): void => log(`[env ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  checkDebianTools();
  await ensureTools(undefined, step);
  const tools = Object.fromEntries((await goTools()).map((t) => [t.name, toolBinDir(t)]));
  const bin = (tool: string, name: string): string => join(tools[tool] ?? '', name);

  const runDir = join(opts.stateDir, 'run');
  await rm(runDir, { recursive: true, force: true });
  const dirs = {
    logs: join(runDir, 'logs'),
    pki: join(runDir, 'pki'),
    etcd: join(runDir, 'etcd'),
    apiserver: join(runDir, 'apiserver'),
    git: join(runDir, 'git', 'repositories'),
    ssh: join(runDir, 'ssh'),
    registry: join(runDir, 'registry'),
    helm: join(runDir, 'helm'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });

  const processes: ManagedProcess[] = [];
  const start = (name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): ManagedProcess => {
    const p = startProcess({ name, command, args: [...args, ...(opts.extraArgs?.[name] ?? [])], logDir: dirs.logs, env });
    processes.push(p);
    if (opts.detached) detach(p);
    return p;
  };

  try {
    const [etcdClient, etcdPeer, apiserverPort, kcmPort, schedulerPort, kwokPort, gitHttpPort, sshPort, registryPort, registryAuthPort, helmPort, helmAuthPort] =
      await freePorts(12);
    const users = {
      admin: { username: 'eddy-admin', token: secret(), groups: ['system:masters'] },
      unprivileged: { username: 'eddy-tenant', token: secret(), groups: ['eddy:tenants'] },
    } satisfies Record<string, TokenUser>;
    const gitUser = { username: 'eddy-git', password: secret() };
    const registryUser = { username: 'eddy-registry', password: secret() };
    const helmUser = { username: 'eddy-helm', password: secret() };

    step('making PKI, SSH keys and credentials');
    const pki = await makePki(dirs.pki);
    const tokenFile = join(dirs.pki, 'tokens.csv');
    await writeFile(
      tokenFile,
      Object.values(users)
        .map((u) => `${u.token},${u.username},${u.username},"${u.groups.join(',')}"`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    const ssh = await prepareSshd(dirs.ssh, dirs.git, sshPort!);

    // Everything that does not need the API server starts at once.
    step('starting etcd, sshd, registries, git and Helm servers');
    const etcd = start('etcd', bin('etcd', 'etcd'), [
      `--name=eddy`,
      `--data-dir=${dirs.etcd}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=eddy=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    const sshd = start('sshd', debianTools.sshd, ['-D', '-e', '-f', ssh.config]);
    const registry = start('registry', bin('registry', 'registry'), ['serve', await registryConfig(join(dirs.registry, 'plain'), registryPort!)]);
    const registryAuth = start('registry-auth', bin('registry', 'registry'), [
      'serve',
      await registryConfig(join(dirs.registry, 'auth'), registryAuthPort!, registryUser),
    ]);
    await runCommand(bin('helm', 'helm'), ['repo', 'index', dirs.helm]);
    const serversConfig: ServersConfig = {
      git: { port: gitHttpPort!, root: dirs.git, ...gitUser },
      helm: { dir: dirs.helm, plainPort: helmPort!, authPort: helmAuthPort!, ...helmUser },
    };
    const serversConfigFile = join(runDir, 'servers.json');
    await writeFile(serversConfigFile, JSON.stringify(serversConfig, null, 2), { mode: 0o600 });
    const servers = start('servers', process.execPath, [join(repoRoot(), 'packages/testkit/src/env/servers.ts'), serversConfigFile]);

    const basic = (u: { username: string; password: string }): string =>
      'Basic ' + Buffer.from(`${u.username}:${u.password}`).toString('base64');
    await Promise.all([
      waitReady(etcd, async () => (await httpGet(`http://127.0.0.1:${etcdClient}/health`)).status === 200, 30_000),
      waitReady(sshd, async () => (await tailOf(sshd)).includes('Server listening'), 15_000),
      waitReady(registry, async () => (await httpGet(`http://127.0.0.1:${registryPort}/v2/`)).status === 200, 30_000),
      waitReady(
        registryAuth,
        async () => (await httpGet(`http://127.0.0.1:${registryAuthPort}/v2/`, { headers: { authorization: basic(registryUser) } })).status === 200,
        30_000,
      ),
      waitReady(servers, async () => (await httpGet(`http://127.0.0.1:${helmPort}/index.yaml`)).status === 200, 30_000),
    ]);

    step('starting kube-apiserver');
    const server = `https://127.0.0.1:${apiserverPort}`;
    const apiserver = start('kube-apiserver', bin('kubernetes', 'kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--bind-address=127.0.0.1`,
      `--advertise-address=127.0.0.1`,
      `--secure-port=${apiserverPort}`,
      `--cert-dir=${dirs.apiserver}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // The `kubernetes` Service's endpoints may not be loopback addresses; nothing here needs them.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
    ]);
    const adminAuth = { authorization: `Bearer ${users.admin.token}` };
    const ca = await readFile(pki.caCert);
    await waitReady(apiserver, async () => (await httpGet(`${server}/readyz`, { headers: adminAuth, ca })).status === 200, 90_000);
    const gitVersion = (JSON.parse((await httpGet(`${server}/version`, { headers: adminAuth, ca })).body) as { gitVersion: string }).gitVersion;

    const kubeconfig = join(opts.stateDir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigYaml(server, pki.caCert, users.admin), { mode: 0o600 });

    step(`kube-apiserver ${gitVersion} ready; starting controller-manager, scheduler and kwok`);
    // KCM and the scheduler: admin kubeconfig, no leader election, their own secure port.
    const controlPlaneArgs = (port: number | undefined, certDir: string): string[] => [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(runDir, certDir)}`,
    ];
    const kcm = start('kube-controller-manager', bin('kubernetes', 'kube-controller-manager'), [
      ...controlPlaneArgs(kcmPort, 'kcm'),
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--cluster-cidr=10.244.0.0/16',
      '--service-cluster-ip-range=10.96.0.0/16',
    ]);
    const scheduler = start('kube-scheduler', bin('kubernetes', 'kube-scheduler'), controlPlaneArgs(schedulerPort, 'scheduler'));
    const kwok = start('kwok', bin('kwok', 'kwok'), [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=true',
      '--cidr=10.244.0.0/16',
      // Heartbeats through node Leases: without them kwok patches Node status only about once a
      // minute, past the controller-manager's grace period, so Nodes flap NotReady and get tainted.
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${kwokPort}`,
    ]);
    const nodeCount = Math.max(2, opts.nodes ?? 2);
    const nodes = await createKwokNodes(kubeconfig, nodeCount);
    const insecure = { rejectUnauthorized: false };
    await Promise.all([
      waitReady(kcm, async () => (await httpGet(`https://127.0.0.1:${kcmPort}/healthz`, insecure)).status === 200, 60_000),
      waitReady(scheduler, async () => (await httpGet(`https://127.0.0.1:${schedulerPort}/healthz`, insecure)).status === 200, 60_000),
      waitReady(kwok, () => waitNodesReady(kubeconfig, nodes), 60_000, 500),
    ]);

    const info: EnvInfo = {
      version: 1,
      runDir,
      startedAt: new Date(started).toISOString(),
      kubeconfig,
      kube: { server, caFile: pki.caCert, gitVersion, admin: users.admin, unprivileged: users.unprivileged, nodes, etcd: `http://127.0.0.1:${etcdClient}` },
      git: {
        root: dirs.git,
        http: { url: `http://127.0.0.1:${gitHttpPort}`, ...gitUser },
        ssh: {
          url: `ssh://${ssh.user}@127.0.0.1:${sshPort}`,
          host: '127.0.0.1',
          port: sshPort!,
          user: ssh.user,
          privateKeyFile: ssh.clientKey,
          publicKey: ssh.clientPub,
          knownHostsFile: ssh.knownHosts,
        },
      },
      registry: { plain: { host: `127.0.0.1:${registryPort}` }, auth: { host: `127.0.0.1:${registryAuthPort}`, ...registryUser } },
      helm: { dir: dirs.helm, plain: { url: `http://127.0.0.1:${helmPort}` }, auth: { url: `http://127.0.0.1:${helmAuthPort}`, ...helmUser } },
      tools: {
        kubectl: bin('kubernetes', 'kubectl'),
        kustomize: bin('kustomize', 'kustomize'),
        helm: bin('helm', 'helm'),
        helm4: bin('helm4', 'helm'),
        sops: bin('sops', 'sops'),
        age: debianTools.age,
        'age-keygen': debianTools.ageKeygen,
        git: debianTools.git,
        kwok: bin('kwok', 'kwok'),
      },
      processes: processes.map(({ name, pid, log: file, command, args }): ProcessRecord => ({ name, pid, log: file, command, args })),
    };
    await writeFile(join(opts.stateDir, 'env.json'), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
    step(`environment ready (${nodes.length} kwok Nodes)`);
    return info;
  } catch (err) {
    await Promise.all(processes.map((p) => stopGroup(p.pid)));
    throw err;
  }
}

/** Stops every process an environment started; returns the names of those that were running. */
export async function stopEnvironment(stateDir: string): Promise<string[]> {
  const file = join(stateDir, 'env.json');
  if (!existsSync(file)) return [];
  const info = await readEnvInfo(file);
  const running = info.processes.filter((p) => groupAlive(p.pid));
  // The API server's clients first, then the API server, then what it stands on.
  const order = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver'];
  for (const name of order) {
    const p = running.find((r) => r.name === name);
    if (p) await stopGroup(p.pid);
  }
  await Promise.all(running.filter((p) => !order.includes(p.name)).map((p) => stopGroup(p.pid)));
  await rm(file, { force: true });
  return running.map((p) => p.name);
}

/**
 * Stops one component of a running environment (e.g. `kube-apiserver`, to test how clients
 * cope with its loss). {@link startComponent} brings it back with the same command line.
 */
export async function stopComponent(stateDir: string, name: string): Promise<void> {
  const info = await readEnvInfo(join(stateDir, 'env.json'));
  const p = info.processes.find((r) => r.name === name);
  if (!p) throw new Error(`no component ${name} in ${stateDir}`);
  await stopGroup(p.pid);
}

/** Starts a stopped component again, as before, and waits until it answers (the API server: /readyz). */
export async function startComponent(stateDir: string, name: string): Promise<void> {
  const file = join(stateDir, 'env.json');
  const info = await readEnvInfo(file);
  const record = info.processes.find((r) => r.name === name);
  if (!record) throw new Error(`no component ${name} in ${stateDir}`);
  if (groupAlive(record.pid)) throw new Error(`${name} is still running`);
  const p = startProcess({ name, command: record.command, args: record.args, logDir: join(info.runDir, 'logs') });
  detach(p);
  if (name === 'kube-apiserver') {
    const ca = await readFile(info.kube.caFile);
    const headers = { authorization: `Bearer ${info.kube.admin.token}` };
    await waitReady(p, async () => (await httpGet(`${info.kube.server}/readyz`, { headers, ca })).status === 200, 90_000);
  }
  record.pid = p.pid;
  await writeFile(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

/** Whether the environment described in `stateDir` is running (every process alive). */
export async function environmentRunning(stateDir: string): Promise<EnvInfo | undefined> {
  const file = join(stateDir, 'env.json');
  if (!existsSync(file)) return undefined;
  const info = await readEnvInfo(file);
  return info.processes.every((p) => groupAlive(p.pid)) ? info : undefined;
}

async function tailOf(p: ManagedProcess): Promise<string> {
  return await readFile(p.log, 'utf8').catch(() => '');
}

function kubeconfigYaml(server: string, caFile: string, user: TokenUser): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'eddy', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user.username, user: { token: user.token } }],
    contexts: [{ name: 'eddy', context: { cluster: 'eddy', user: user.username } }],
    'current-context': 'eddy',
  });
}

/**
 * The sshd of the git server: its own config, host key and authorized_keys on a loopback port.
 * The client key may run only git commands, against repositories under the git root
 * (`ssh://<user>@127.0.0.1:<port>/<name>.git`).
 */
async function prepareSshd(
  dir: string,
  gitRoot: string,
  port: number,
): Promise<{ config: string; clientKey: string; clientPub: string; knownHosts: string; user: string }> {
  const user = userInfo().username;
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKey = join(dir, 'client_ed25519');
  await runCommand(debianTools.sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'eddy-git-host', '-f', hostKey]);
  await runCommand(debianTools.sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'eddy-git-client', '-f', clientKey]);
  const hostPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  const clientPub = (await readFile(`${clientKey}.pub`, 'utf8')).trim();
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);

  // git sends `git-upload-pack '/<name>.git'`; serve that path from the git root.
  const gitShell = join(dir, 'git-shell.sh');
  await writeFile(
    gitShell,
    [
      '#!/bin/sh',
      `cd '${gitRoot}' || exit 1`,
      'case "$SSH_ORIGINAL_COMMAND" in',
      '  git-upload-pack\\ *|git-receive-pack\\ *|git-upload-archive\\ *) ;;',
      '  *) echo "this key may only run git" >&2; exit 1 ;;',
      'esac',
      `exec ${debianTools.gitShell} -c "$(printf '%s' "$SSH_ORIGINAL_COMMAND" | sed "s#'/#'#")"`,
      '',
    ].join('\n'),
  );
  await chmod(gitShell, 0o755);
  await writeFile(join(dir, 'authorized_keys'), `command="${gitShell}",restrict ${clientPub}\n`, { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'AcceptEnv GIT_PROTOCOL',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation needs this folder (Debian creates it only when the service runs).
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  return { config, clientKey, clientPub, knownHosts, user };
}

/** Writes a distribution registry config (with an htpasswd file when `auth` is given). */
async function registryConfig(dir: string, port: number, auth?: { username: string; password: string }): Promise<string> {
  await mkdir(join(dir, 'data'), { recursive: true });
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', formatter: 'text' },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: secret() },
  };
  if (auth) {
    const htpasswd = join(dir, 'htpasswd');
    await writeFile(htpasswd, await runCommand(debianTools.htpasswd, ['-nbB', auth.username, auth.password]));
    config['auth'] = { htpasswd: { realm: 'eddy-registry', path: htpasswd } };
  }
  const file = join(dir, 'config.yml');
  await writeFile(file, toYaml(config));
  return file;
}
