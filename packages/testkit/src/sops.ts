/** age keys from the real `age-keygen` and SOPS encryption with the real `sops`, for decryption tests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvInfo } from './env/info.ts';
import { runCommand } from './env/process.ts';

/** An age key pair. */
export interface AgeKey {
  /** The `AGE-SECRET-KEY-1…` identity. */
  identity: string;
  /** The `age1…` recipient. */
  recipient: string;
}

/** The formats `sops encrypt` takes through `--input-type`/`--output-type`. */
export type SopsTestFormat = 'yaml' | 'json' | 'dotenv' | 'binary';

/** A fresh age key pair from `age-keygen`. */
export async function ageKeygen(env: EnvInfo): Promise<AgeKey> {
  const identity = (await runCommand(env.tools['age-keygen'], [])).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'));
  if (!identity) throw new Error('age-keygen printed no identity');
  const recipient = (await runCommand(env.tools['age-keygen'], ['-y'], { input: `${identity}\n` })).trim();
  return { identity, recipient };
}

/**
 * `plaintext` encrypted by `sops encrypt` for the age `recipients`, in `format`;
 * `encryptedRegex` limits which keys are encrypted (as a Secret manifest wants `^(data|stringData)$`).
 * It runs in a scratch folder with its own HOME, so no `.sops.yaml` or key of the machine plays a part.
 */
export async function sopsEncrypt(env: EnvInfo, plaintext: string, recipients: string[], format: SopsTestFormat, opts: { encryptedRegex?: string } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eddy-sops-'));
  try {
    const file = join(dir, 'plain');
    await writeFile(file, plaintext);
    const args = ['encrypt', '--age', recipients.join(','), '--input-type', format, '--output-type', format];
    if (opts.encryptedRegex) args.push('--encrypted-regex', opts.encryptedRegex);
    return await runCommand(env.tools.sops, [...args, file], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: dir } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
