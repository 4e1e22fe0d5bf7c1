/** Running the real `eddy` as a subprocess (Node 24 with packages/cli/src/main.ts), as a user does. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectClient, type ApiObject } from '@eddy/runtime';
import { kubeConfig, testEnv, type EnvInfo } from '@eddy/testkit';

/** The CLI's entry point. */
export const eddyMain = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

/** What a finished `eddy` run printed and returned. */
export interface EddyResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment `eddy` runs with: the test cluster's kubeconfig, and kustomize/kubectl on PATH. */
export function eddyEnv(env: EnvInfo = testEnv()): Record<string, string> {
  const tools = [...new Set([dirname(env.tools.kustomize), dirname(env.tools.kubectl)])];
  return { PATH: [...tools, process.env['PATH'] ?? '/usr/bin:/bin'].join(':'), HOME: process.env['HOME'] ?? '/tmp', KUBECONFIG: env.kubeconfig };
}

/** Runs `eddy <args>` to completion (bounded by `timeoutMs`). */
export async function eddy(args: readonly string[], opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<EddyResult> {
  const child = spawn(process.execPath, [eddyMain, ...args], { cwd: opts.cwd, env: { ...eddyEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 120_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  return { code, stdout, stderr };
}

/** A client of the test cluster for arranging objects (creating them, writing a status as a controller would). */
export function testClient(): ObjectClient {
  return new ObjectClient(kubeConfig(testEnv()));
}

/** Creates `obj` and then writes `status` on it, as a controller would. */
export async function createWithStatus(obj: ApiObject, status: Record<string, unknown>): Promise<void> {
  const client = testClient();
  await client.apply(obj, { fieldManager: 'cli-test' });
  const withStatus: ApiObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name ?? '', namespace: obj.metadata.namespace ?? '' }, status };
  await client.apply(withStatus, { fieldManager: 'cli-test-status', subresource: 'status' });
}

/** A Ready condition as a controller writes it. */
export function readyCondition(status: 'True' | 'False', reason: string, message: string, observedGeneration = 1): Record<string, unknown> {
  return { type: 'Ready', status, reason, message, observedGeneration, lastTransitionTime: new Date().toISOString() };
}
