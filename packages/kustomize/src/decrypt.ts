/**
 * SOPS decryption for a Kustomization (`spec.decryption.provider: sops`) with age identities,
 * as kustomize-controller decrypts: before the build, the files that kustomize `secretGenerator`s
 * and `patches` read are decrypted in place inside the source tree; after the build, every
 * object carrying SOPS metadata is decrypted, and so is every Secret data value that is itself a
 * SOPS-encrypted file. Only age is supported: PGP, cloud KMS and Vault need a keyring or
 * services Eddy does not hold (docs/kustomizations/sops.md says why).
 *
 * Error messages name the file or object and list the age recipients it was encrypted for
 * (public keys); they never carry identities, ciphertext or plaintext.
 */
import { lstat, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { identityToRecipient } from 'age-encryption';
import { decryptSops } from 'sops-age';
import { parse as parseYaml, stringify } from 'yaml';
import { Annotation, Reason, type KustomizationDecryption } from '@eddy/api';
import { KubeApiError, ReconcileError, type ApiObject, type ObjectClient } from '@eddy/runtime';
import { kustomizationFiles } from './build.ts';
import { objectName } from './substitute.ts';

/** A data format SOPS encrypts, chosen from a file's extension as SOPS and Flux choose it. */
export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

/** One age identity from the decryption Secret. */
export interface AgeIdentity {
  /** The `AGE-SECRET-KEY-1…` string. Never put into a message or log. */
  secretKey: string;
  /** Its public recipient, `age1…`, matched against a file's `sops.age[].recipient`. */
  recipient: string;
}

/** The age identities a Kustomization decrypts with, and the Secret they came from. */
export interface DecryptionKeys {
  /** `spec.decryption.secretRef.name`; undefined when the spec names no Secret. */
  secretName?: string;
  identities: AgeIdentity[];
}

/** The Secret data keys that hold age identities end with this, as Flux reads them. */
const ageKeySuffix = '.agekey';
/** Largest file decrypted before the build, as Flux's limit (5 MiB). */
const maxFileBytes = 5 * 1024 * 1024;
/** SOPS master-key kinds besides age, as named in a file's `sops` metadata. */
const otherKeyKinds = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault'];
/** Text that only a SOPS-encrypted document of each format holds (its encrypted MAC). */
const markers: Record<SopsFormat, string> = {
  dotenv: 'sops_mac=ENC[',
  ini: '[sops]',
  json: '"mac": "ENC[',
  // SOPS keeps binary data in a JSON envelope.
  binary: '"mac": "ENC[',
  yaml: 'mac: ENC[',
};

/** The format SOPS reads a path in, by its extension; `.dockerconfigjson` is JSON, as Flux has it. */
export function sopsFormatForPath(path: string): SopsFormat {
  if (path.endsWith('.dockerconfigjson') || path.endsWith('.json')) return 'json';
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml';
  if (path.endsWith('.env')) return 'dotenv';
  if (path.endsWith('.ini')) return 'ini';
  return 'binary';
}

/** The format of a SOPS-encrypted text found by its MAC marker, or undefined when it is not encrypted. */
export function detectSopsFormat(text: string): SopsFormat | undefined {
  const order: SopsFormat[] = ['dotenv', 'ini', 'json', 'yaml'];
  return order.find((f) => text.includes(markers[f]));
}

/** Whether the object carries SOPS metadata (a top-level `sops` mapping with a MAC), as Flux tells. */
export function hasSopsMetadata(obj: Record<string, unknown>): boolean {
  const sops = obj['sops'];
  return isRecord(sops) && typeof sops['mac'] === 'string' && sops['mac'] !== '';
}

/**
 * Reads the age identities of a decryption Secret's data (base64 values, as the API returns
 * them): every key ending in `.agekey`, each value one or more `AGE-SECRET-KEY-1…` lines
 * (blank lines and `#` comments allowed, as in an age key file). A line that is not an age
 * identity is a BuildFailed ReconcileError naming the Secret, the key and the line number.
 */
export async function parseAgeIdentities(secretName: string, data: Record<string, string>): Promise<AgeIdentity[]> {
  const identities: AgeIdentity[] = [];
  for (const key of Object.keys(data).sort()) {
    if (!key.endsWith(ageKeySuffix)) continue;
    const lines = Buffer.from(data[key] ?? '', 'base64').toString('utf8').split('\n');
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const bad = (what: string) => new ReconcileError(Reason.BuildFailed, `failed to import '${key}' data from decryption Secret '${secretName}': line ${i + 1} ${what}`);
      if (line.startsWith('AGE-PLUGIN-')) throw bad('is an age plugin identity, which Eddy does not support');
      try {
        identities.push({ secretKey: line, recipient: await identityToRecipient(line) });
      } catch {
        // The parser's message may quote the line: say only where it is.
        throw bad('is not an age identity (AGE-SECRET-KEY-1…)');
      }
    }
  }
  return identities;
}

/**
 * Reads `spec.decryption`'s Secret in `namespace` with `client` (the controller's own client,
 * as Flux reads it, not the tenant's) and returns its {@link Decryptor}; without
 * `spec.decryption`, a Decryptor that refuses encrypted content. A missing or unreadable
 * Secret is a BuildFailed ReconcileError naming it.
 */
export async function loadDecryptor(client: ObjectClient, namespace: string, decryption: KustomizationDecryption | undefined, signal?: AbortSignal): Promise<Decryptor> {
  if (!decryption) return new Decryptor(undefined);
  const secretName = decryption.secretRef?.name;
  if (!secretName) return new Decryptor({ identities: [] });
  let secret: ApiObject | undefined;
  try {
    secret = await client.find<ApiObject>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace } }, signal);
  } catch (err) {
    if (err instanceof KubeApiError) throw new ReconcileError(Reason.BuildFailed, `cannot get decryption Secret '${namespace}/${secretName}': ${err.message}`, { cause: err });
    throw err;
  }
  if (!secret) throw new ReconcileError(Reason.BuildFailed, `decryption Secret '${namespace}/${secretName}' not found`);
  return new Decryptor({ secretName, identities: await parseAgeIdentities(secretName, (secret['data'] ?? {}) as Record<string, string>) });
}

/** What a kustomization file holds that decryption follows; everything else is kustomize's. */
interface KustomizationFile {
  secretGenerator?: unknown;
  generatorOptions?: unknown;
  patches?: unknown;
  resources?: unknown;
  components?: unknown;
}

/** A file a kustomization reads, to decrypt in place. */
interface SourceRef {
  /** The path as the kustomization file writes it. */
  ref: string;
  format: SopsFormat;
  /** The kustomization file that refers to it, relative to the root, for messages. */
  from: string;
  /** The generator opted out (`kustomize.toolkit.fluxcd.io/decrypt: disabled` in its options). */
  optedOut: boolean;
}

/**
 * Decrypts a Kustomization's SOPS-encrypted sources and objects with its age identities (see
 * the module comment). Built without keys (no `spec.decryption`), it decrypts nothing and
 * refuses what is encrypted, naming it, instead of applying ciphertext.
 */
export class Decryptor {
  readonly #keys: DecryptionKeys | undefined;

  /** `keys` undefined: the Kustomization has no `spec.decryption`. */
  constructor(keys: DecryptionKeys | undefined) {
    this.#keys = keys;
  }

  /**
   * Decrypts in place, inside `root`, the files that the kustomization at `path` (and every
   * kustomization it reaches through `resources` and `components`) reads in `secretGenerator`
   * `files`/`envs` and `patches[].path`. Plain files are left alone. A reference leaving
   * `root` (by `..` or a symlink) is a BuildFailed ReconcileError.
   */
  async decryptSources(root: string, path: string | undefined): Promise<void> {
    const realRoot = await realpath(root);
    await this.#visit(realRoot, resolve(realRoot, path || './'), new Set(), new Set());
  }

  /**
   * Decrypts the built objects, returning them in order: objects with SOPS metadata are
   * decrypted whole, and Secret data values that are SOPS-encrypted files are decrypted into
   * the format their key's extension names. Objects annotated
   * `kustomize.toolkit.fluxcd.io/decrypt: disabled` are left alone.
   */
  async decryptObjects(objects: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const obj of objects) out.push(await this.#decryptObject(obj));
    return out;
  }

  async #decryptObject(obj: Record<string, unknown>): Promise<Record<string, unknown>> {
    const meta = isRecord(obj['metadata']) ? obj['metadata'] : {};
    const annotations = isRecord(meta['annotations']) ? meta['annotations'] : {};
    if (String(annotations[Annotation.KustomizeDecrypt] ?? '').toLowerCase() === 'disabled') return obj;
    const name = objectName(obj);
    if (hasSopsMetadata(obj)) {
      // As Flux, an encrypted object without decryption configured fails the apply step.
      if (!this.#keys) throw new ReconcileError(Reason.ReconciliationFailed, `'${name}' is SOPS-encrypted: set spec.decryption so that it is decrypted before it is applied`);
      return await this.#decrypt(`'${name}'`, JSON.stringify(obj), 'json');
    }
    const data = obj['data'];
    if (!this.#keys || obj['kind'] !== 'Secret' || !isRecord(data)) return obj;
    let decrypted: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') continue;
      const text = Buffer.from(value, 'base64').toString('utf8');
      const format = detectSopsFormat(text);
      if (!format) continue;
      const what = `'${name}' data '${key}'`;
      const plain = emitPlain(await this.#decrypt(what, text, format), sopsFormatForPath(key), what);
      (decrypted ??= { ...data })[key] = Buffer.from(plain, 'utf8').toString('base64');
    }
    return decrypted ? { ...obj, data: decrypted } : obj;
  }

  /** Visits the kustomization in `dir` (once), decrypting what it reads, then the kustomizations it includes. */
  async #visit(root: string, dir: string, visited: Set<string>, done: Set<string>): Promise<void> {
    let real: string;
    try {
      real = await realpath(dir);
      if (!(await stat(real)).isDirectory()) return;
    } catch {
      return; // A URL, a file or a missing path: kustomize reports what is wrong with it.
    }
    if (!within(root, real) || visited.has(real)) return;
    visited.add(real);
    const found = await readKustomization(real);
    if (!found) return;
    const from = relative(root, join(real, found.file));
    for (const source of sourcesOf(found.kustomization, from)) await this.#decryptFile(root, real, source, done);
    for (const include of [...strings(found.kustomization.resources), ...strings(found.kustomization.components)]) {
      await this.#visit(root, resolve(real, include), visited, done);
    }
  }

  /** Decrypts one referenced file in place when it is SOPS-encrypted. */
  async #decryptFile(root: string, dir: string, source: SourceRef, done: Set<string>): Promise<void> {
    const target = resolve(dir, source.ref);
    const outside = new ReconcileError(Reason.BuildFailed, `'${source.from}' refers to '${source.ref}', which is outside the source`);
    if (!within(root, target)) throw outside;
    let real: string;
    try {
      real = await realpath(target);
    } catch {
      return; // Missing: kustomize names it.
    }
    if (!within(root, real)) throw outside;
    const info = await lstat(real);
    if (!info.isFile() || done.has(real)) return;
    const display = `'${relative(root, real)}'`;
    if (info.size > maxFileBytes) throw new ReconcileError(Reason.BuildFailed, `cannot decrypt ${display}: its ${info.size} bytes exceed the ${maxFileBytes} allowed`);
    const text = await readFile(real, 'utf8');
    if (!text.includes(markers[source.format])) return;
    if (!this.#keys) {
      if (source.optedOut) return;
      throw new ReconcileError(Reason.BuildFailed, `failed to decrypt ${display}: it is SOPS-encrypted and the Kustomization has no spec.decryption`);
    }
    await writeFile(real, emitPlain(await this.#decrypt(display, text, source.format), source.format, display), { mode: 0o600 });
    done.add(real);
  }

  /** Decrypts one SOPS document (`what` names it in messages) with the identity its recipients call for. */
  async #decrypt(what: string, text: string, format: SopsFormat): Promise<Record<string, unknown>> {
    const fail = (why: string) => new ReconcileError(Reason.BuildFailed, `failed to decrypt ${what}: ${why}`);
    if (format === 'ini') throw fail('SOPS INI files are not supported; Eddy decrypts YAML, JSON, dotenv and binary files');
    const recipients = recipientsOf(text, format);
    if (!recipients) throw fail(`it is not a valid SOPS ${format} document`);
    if (recipients.keyGroups) throw fail('SOPS key groups (Shamir secret sharing) are not supported; encrypt for age recipients directly');
    if (recipients.age.length === 0) {
      throw fail(`it is encrypted for ${recipients.others.join(', ') || 'no key'} only; Eddy decrypts age only (add an age recipient with 'sops updatekeys')`);
    }
    const encryptedFor = `encrypted for recipients ${recipients.age.join(', ')}`;
    const keys = this.#keys;
    if (!keys?.secretName) throw fail(`spec.decryption.secretRef is not set, so there is no age identity; ${encryptedFor}`);
    const identity = keys.identities.find((i) => recipients.age.includes(i.recipient));
    if (!identity) throw fail(`no age identity in Secret '${keys.secretName}' matches; ${encryptedFor}`);
    let plain: unknown;
    try {
      plain = await decryptSops(text, { secretKey: identity.secretKey, fileType: format === 'dotenv' ? 'env' : format === 'yaml' ? 'yaml' : 'json' });
    } catch (err) {
      throw fail(redact(err instanceof Error ? err.message : String(err)));
    }
    if (!isRecord(plain)) throw fail('the decrypted document is not a mapping');
    return plain;
  }
}

/** The age recipients and other master-key kinds in a SOPS document's metadata; undefined when it has none. */
function recipientsOf(text: string, format: SopsFormat): { age: string[]; others: string[]; keyGroups: boolean } | undefined {
  let sops: Record<string, unknown>;
  if (format === 'dotenv') {
    sops = dotenvMetadata(text);
  } else {
    let doc: unknown;
    try {
      doc = format === 'yaml' ? parseYaml(text) : JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isRecord(doc) || !isRecord(doc['sops'])) return undefined;
    sops = doc['sops'];
  }
  const listed = (kind: string): unknown[] => (Array.isArray(sops[kind]) ? (sops[kind] as unknown[]) : []);
  const age = listed('age').flatMap((entry) => (isRecord(entry) && typeof entry['recipient'] === 'string' ? [entry['recipient']] : []));
  return { age, others: otherKeyKinds.filter((kind) => listed(kind).length > 0), keyGroups: listed('key_groups').length > 0 };
}

/**
 * The `sops` metadata of a dotenv document in the shape YAML and JSON carry it: SOPS flattens
 * it into `sops_<kind>__list_<n>__map_<field>=…` lines.
 */
function dotenvMetadata(text: string): Record<string, unknown> {
  const sops: Record<string, Record<string, unknown>[]> = {};
  for (const line of text.split('\n')) {
    const match = /^sops_([a-z_]+?)__list_(\d+)__map_([a-z_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, kind = '', index = '0', field = '', value = ''] = match;
    ((sops[kind] ??= [])[Number(index)] ??= {})[field] = value;
  }
  return sops;
}

/**
 * Writes a decrypted document in `format`, as SOPS emits it: YAML, JSON (tab-indented),
 * dotenv (`KEY=value` lines, newlines escaped) or binary (the envelope's `data`).
 */
export function emitPlain(tree: Record<string, unknown>, format: SopsFormat, what: string): string {
  const fail = (why: string) => new ReconcileError(Reason.BuildFailed, `failed to decrypt ${what}: ${why}`);
  switch (format) {
    case 'yaml':
      return stringify(tree);
    case 'json':
      return `${JSON.stringify(tree, null, '\t')}\n`;
    case 'dotenv':
      return Object.entries(tree)
        .map(([key, value]) => {
          if (isRecord(value) || Array.isArray(value)) throw fail(`the value of '${key}' is not a scalar, so it cannot be written as dotenv`);
          return `${key}=${String(value).replaceAll('\n', '\\n')}\n`;
        })
        .join('');
    case 'binary':
      if (typeof tree['data'] !== 'string') throw fail('it holds no binary data (a "data" string)');
      return tree['data'];
    case 'ini':
      throw fail('SOPS INI files are not supported');
  }
}

/** The kustomization file in `dir` and its content; undefined when there is none or it does not parse (kustomize reports that). */
async function readKustomization(dir: string): Promise<{ file: string; kustomization: KustomizationFile } | undefined> {
  for (const file of kustomizationFiles) {
    let text: string;
    try {
      if (!(await lstat(join(dir, file))).isFile()) continue;
      text = await readFile(join(dir, file), 'utf8');
    } catch {
      continue;
    }
    try {
      const parsed: unknown = parseYaml(text);
      return isRecord(parsed) ? { file, kustomization: parsed } : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The files a kustomization's secret generators and patches read, with the format each is decrypted in. */
function sourcesOf(k: KustomizationFile, from: string): SourceRef[] {
  const sources: SourceRef[] = [];
  const optedOutByDefault = decryptDisabled(k.generatorOptions);
  for (const gen of Array.isArray(k.secretGenerator) ? (k.secretGenerator as unknown[]) : []) {
    if (!isRecord(gen)) continue;
    const optedOut = optedOutByDefault || decryptDisabled(gen['options']);
    for (const file of strings(gen['files'])) {
      // `key=path`: the key's extension names the format, as in Flux.
      const eq = file.indexOf('=');
      const key = eq < 0 ? file : file.slice(0, eq);
      sources.push({ ref: eq < 0 ? file : file.slice(eq + 1), format: sopsFormatForPath(key), from, optedOut });
    }
    // `env` is the deprecated single form of `envs`.
    for (const env of [...strings(gen['envs']), ...strings([gen['env']])]) {
      const format = sopsFormatForPath(env);
      sources.push({ ref: env, format: format === 'binary' ? 'dotenv' : format, from, optedOut });
    }
  }
  for (const patch of Array.isArray(k.patches) ? (k.patches as unknown[]) : []) {
    const path = isRecord(patch) ? patch['path'] : undefined;
    if (typeof path === 'string' && path !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) sources.push({ ref: path, format: sopsFormatForPath(path), from, optedOut: false });
  }
  return sources;
}

/** Whether generator options carry `kustomize.toolkit.fluxcd.io/decrypt: disabled`, the annotation the generated Secret then has. */
function decryptDisabled(options: unknown): boolean {
  const annotations = isRecord(options) && isRecord(options['annotations']) ? options['annotations'] : {};
  return String(annotations[Annotation.KustomizeDecrypt] ?? '').toLowerCase() === 'disabled';
}

/** The strings of a list (anything else in it, or a non-list, is kustomize's to reject). */
function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** Whether `path` is `root` or below it. */
function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A decryption library message without identities or ciphertext (it may quote either). */
function redact(message: string): string {
  return message
    .replace(/AGE-SECRET-KEY-1[0-9A-Z]*(\.\.\.)?/gi, '<redacted>')
    .replace(/ENC\[[^\]]*\]/g, 'ENC[…]')
    .slice(0, 300);
}
