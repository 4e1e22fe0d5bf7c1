// The environment stops everything it started: on a normal stop, and when a start fails
// half-way, in which case the error shows the failing component's log.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { environmentRunning, repoRoot, startEnvironment, stopEnvironment, uniqueName } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';

/** The command lines of live processes that mention `text` (every component's args name its run folder). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}

describe('environment lifecycle', () => {
  it('stops every process it started', async () => {
    const stateDir = join(repoRoot(), '.eddy', 'test-env', uniqueName('lifecycle'));
    try {
      const info = await startEnvironment({ stateDir, log: () => undefined });
      expect(await environmentRunning(stateDir)).toBeDefined();
      expect(info.processes.map((p) => p.name).sort()).toEqual(
        ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'registry', 'registry-auth', 'servers', 'sshd'].sort(),
      );
      expect((await processesMentioning(stateDir)).length).toBeGreaterThanOrEqual(info.processes.length);

      const stopped = await stopEnvironment(stateDir);
      expect(stopped.sort()).toEqual(info.processes.map((p) => p.name).sort());
      expect(await processesMentioning(stateDir)).toEqual([]);
      expect(await environmentRunning(stateDir)).toBeUndefined();
    } finally {
      await stopEnvironment(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('stops what had started when a component fails, and shows the tail of its log', async () => {
    const stateDir = join(repoRoot(), '.eddy', 'test-env', uniqueName('halfway'));
    try {
      const failure = startEnvironment({ stateDir, log: () => undefined, extraArgs: { 'kube-apiserver': ['--no-such-flag=1'] } });
      await expect(failure).rejects.toThrow(/kube-apiserver did not start: exited with code 1/);
      await expect(failure).rejects.toThrow(/unknown flag: --no-such-flag/);
      // etcd, sshd, the registries and the servers had started before the API server.
      expect(await processesMentioning(stateDir)).toEqual([]);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
