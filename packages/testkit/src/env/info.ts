/**
 * The description of a running environment, written to `<stateDir>/env.json`: every endpoint
 * and credential a test, the demo or a developer needs. Credentials are made fresh per run.
 */
import { readFile } from 'node:fs/promises';
import type { ProcessRecord } from './process.ts';

/** A user with a static bearer token. */
export interface TokenUser {
  username: string;
  token: string;
  groups: string[];
}

/** A basic-auth credential. */
export interface BasicAuth {
  username: string;
  password: string;
}

/** Everything a client needs to reach and use the environment. */
export interface EnvInfo {
  /** Format version of this file. */
  version: 1;
  /** The folder holding this run's PKI, data, repositories and logs. */
  runDir: string;
  startedAt: string;
  /** Admin kubeconfig (token user in `system:masters`). */
  kubeconfig: string;
  kube: {
    server: string;
    caFile: string;
    gitVersion: string;
    admin: TokenUser;
    /** Users with no RBAC rights of their own, for authorization and impersonation tests. */
    unprivileged: TokenUser;
    nodes: string[];
    etcd: string;
  };
  git: {
    /** Folder of bare repositories, `<name>.git`, served over HTTP and SSH. */
    root: string;
    /** Smart HTTP; repositories under `public/` may be read anonymously, all others need auth. */
    http: { url: string } & BasicAuth;
    ssh: {
      /** e.g. `ssh://root@127.0.0.1:40022`; append `/<name>.git`. */
      url: string;
      host: string;
      port: number;
      user: string;
      privateKeyFile: string;
      publicKey: string;
      knownHostsFile: string;
    };
  };
  registry: {
    /** Host:port of the registry without auth. */
    plain: { host: string };
    /** Host:port of the registry with basic auth. */
    auth: { host: string } & BasicAuth;
  };
  helm: {
    /** Folder served by both Helm repositories (charts + index.yaml). */
    dir: string;
    plain: { url: string };
    auth: { url: string } & BasicAuth;
  };
  /** Absolute paths of the real tools. */
  tools: Record<'kubectl' | 'kustomize' | 'helm' | 'helm4' | 'sops' | 'age' | 'age-keygen' | 'git' | 'kwok', string>;
  processes: ProcessRecord[];
}

/** Reads an env.json. */
export async function readEnvInfo(file: string): Promise<EnvInfo> {
  return JSON.parse(await readFile(file, 'utf8')) as EnvInfo;
}
