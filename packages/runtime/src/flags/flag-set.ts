/**
 * Command-line flags with the syntax and semantics of Go's pflag, which every Flux controller
 * parses its arguments with, so a Deployment written for a Flux controller passes the same
 * `args` to its Eddy counterpart.
 *
 * Why not a library: Node's `util.parseArgs` and the common npm parsers disagree with pflag
 * where Flux manifests depend on it. A pflag bool takes its value only from `--name=value`
 * (so `--watch-all-namespaces=false` works, which `util.parseArgs` rejects) and never consumes
 * the next argument, while a non-bool flag consumes the next argument even when it starts with
 * `--`; values are Go's (`strconv.ParseBool` spellings, base-prefixed integers, Go durations such
 * as `1m30s` parsed once into a {@link Duration}); errors are pflag's one-line messages. The
 * same definitions also render pflag's `--help` text and the Markdown flag reference in the
 * docs, so the three cannot drift. That is a few hundred lines, smaller than adapting a library.
 *
 * Supported syntax: `--name=value`; `--name value` for non-bool flags; `--bool` alone (true);
 * `--` ends the flags; `-h` and `--help` request help. Single-dash flags are pflag shorthands,
 * which Eddy defines none of, so `-name` is an error as in pflag. Other arguments, anywhere on
 * the line, are positional.
 */
import { DurationError, formatDuration, parseDuration, type Duration } from '@eddy/api';

/** A command line pflag would reject; the message is pflag's one line naming the flag. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/**
 * Help was asked for with `-h` or `--help` (pflag's `ErrHelp`). Not a failure: the caller prints
 * {@link FlagSet.usage} and exits 0. Deliberately not a {@link FlagError}.
 */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor() {
    super('help requested');
  }
}

/**
 * The property under which a flag's value appears in the parsed values: the kebab-case flag
 * name in camelCase (`watch-all-namespaces` → `watchAllNamespaces`).
 */
export type FlagKey<N extends string> = N extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<FlagKey<Tail>>}` : N;

/** Flattens an intersection into one object type, so editors show the parsed values plainly. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Adds one flag's value to the accumulated values type of a {@link FlagSet}. */
type With<V, N extends string, T> = V & { readonly [K in FlagKey<N>]: T };

/**
 * What {@link FlagSet.parse} returns: every flag's value (its default when not given) under its
 * {@link FlagKey}, and the positional arguments under `_` (minimist's convention; no flag key
 * can be `_`, since flag names start with a letter).
 */
export type ParsedFlags<V> = Simplify<V & { readonly _: readonly string[] }>;

/** The parsed values type of a flag set, e.g. `FlagValues<typeof flags>`. */
export type FlagValues<F> = F extends FlagSet<infer V> ? Simplify<V> : never;

/** Restricts a string flag to a fixed set of values; the value's type narrows to their union. */
export interface StringFlagOptions<C extends string> {
  readonly oneOf?: readonly C[];
}

/** Bounds of a numeric flag, both inclusive. */
export interface NumberFlagOptions {
  readonly min?: number;
  readonly max?: number;
}

/** The value kinds, named as pflag's usage text names them (bool shows no name there). */
type FlagType = 'bool' | 'string' | 'int' | 'float' | 'duration' | 'stringArray' | 'mapStringBool';

/** One defined flag. Values are `unknown` here; the public types come from the builder methods. */
interface FlagDefinition {
  readonly name: string;
  readonly key: string;
  readonly type: FlagType;
  readonly usage: string;
  readonly defaultValue: unknown;
  /** The default as pflag prints it (`DefValue`), e.g. `30s`, `[a,b]`, `A=true`. */
  readonly defaultText: string;
  /** Whether the default is the type's zero value, which usage text does not print. */
  readonly defaultIsZero: boolean;
  /**
   * Parses one occurrence's text. `previous` is undefined on the first occurrence, so repeatable
   * kinds replace their default then and accumulate afterwards (pflag's stringArray, k8s'
   * mapStringBool). Throws an Error whose message completes pflag's "invalid argument" line.
   */
  readonly set: (text: string, previous: unknown) => unknown;
}

/**
 * A set of typed flag definitions and a pflag-compatible parser for them. Each definition method
 * adds a flag and returns the set with the flag's value added to its type, so a chain accumulates
 * the type of {@link FlagSet.parse}'s result:
 *
 * ```ts
 * const flags = new FlagSet().bool('watch-all-namespaces', true, '...').int('concurrent', 4, '...');
 * const values = flags.parse(process.argv.slice(2)); // values.watchAllNamespaces: boolean
 * ```
 *
 * Definition errors (a bad or duplicate name, a default outside the flag's range) are
 * programming errors and throw a plain Error; parse errors throw {@link FlagError}.
 */
export class FlagSet<V extends object = Record<never, never>> {
  readonly #flags = new Map<string, FlagDefinition>();
  readonly #keys = new Set<string>();
  readonly #checks: Array<(values: V) => string | undefined> = [];

  /** Adds a bool flag: `--name` and `--name=true|false|1|0|t|f|...`; never takes the next argument. */
  bool<N extends string>(name: N, defaultValue: boolean, usage: string): FlagSet<With<V, N, boolean>> {
    return this.#define(name, 'bool', usage, defaultValue, String(defaultValue), !defaultValue, parseGoBool);
  }

  /** Adds a string flag; with `oneOf`, other values are rejected and the type is their union. */
  string<N extends string, const C extends string = string>(
    name: N,
    defaultValue: NoInfer<C>,
    usage: string,
    options: StringFlagOptions<C> = {},
  ): FlagSet<With<V, N, C>> {
    const { oneOf } = options;
    const check = (value: string): void => {
      if (oneOf && !(oneOf as readonly string[]).includes(value)) throw new Error(`must be one of ${oneOf.join(', ')}`);
    };
    check(defaultValue);
    return this.#define(name, 'string', usage, defaultValue, defaultValue, defaultValue === '', (text) => {
      check(text);
      return text;
    });
  }

  /** Adds an integer flag; values as Go's `strconv.ParseInt(s, 0, 64)` reads them (`0x1f`, `1_000`). */
  int<N extends string>(name: N, defaultValue: number, usage: string, options: NumberFlagOptions = {}): FlagSet<With<V, N, number>> {
    if (!Number.isSafeInteger(defaultValue)) throw new Error(`flag --${name}: default ${defaultValue} is not an integer`);
    checkRange(defaultValue, options);
    return this.#define(name, 'int', usage, defaultValue, String(defaultValue), defaultValue === 0, (text) => checkRange(parseGoInt(text), options));
  }

  /** Adds a floating-point flag; values as Go's `strconv.ParseFloat(s, 64)` reads them. */
  float<N extends string>(name: N, defaultValue: number, usage: string, options: NumberFlagOptions = {}): FlagSet<With<V, N, number>> {
    checkRange(defaultValue, options);
    return this.#define(name, 'float', usage, defaultValue, String(defaultValue), defaultValue === 0, (text) => checkRange(parseGoFloat(text), options));
  }

  /** Adds a Go duration flag (`30s`, `1m30s`, `750ms`); the default may be a Duration or its text. */
  duration<N extends string>(name: N, defaultValue: Duration | string, usage: string): FlagSet<With<V, N, Duration>> {
    const value = typeof defaultValue === 'string' ? parseDuration(defaultValue) : defaultValue;
    return this.#define(name, 'duration', usage, value, formatDuration(value), value.milliseconds === 0, (text) => {
      try {
        return parseDuration(text);
      } catch (err) {
        if (err instanceof DurationError) throw new Error(err.message);
        throw err;
      }
    });
  }

  /** Adds a repeatable string flag: each occurrence adds one value, verbatim (no comma splitting). */
  stringArray<N extends string>(name: N, defaultValue: readonly string[], usage: string): FlagSet<With<V, N, readonly string[]>> {
    const initial = Object.freeze([...defaultValue]);
    return this.#define(name, 'stringArray', usage, initial, `[${initial.join(',')}]`, initial.length === 0, (text, previous) =>
      Object.freeze([...((previous as readonly string[] | undefined) ?? []), text]),
    );
  }

  /**
   * Adds a `key=bool` map flag such as `--feature-gates=A=true,B=false`, with Kubernetes'
   * `mapStringBool` semantics: comma-separated pairs, spaces around them ignored, values in
   * `strconv.ParseBool` spelling; the first occurrence replaces the default, later ones merge.
   */
  stringToBool<N extends string>(
    name: N,
    defaultValue: Readonly<Record<string, boolean>>,
    usage: string,
  ): FlagSet<With<V, N, Readonly<Record<string, boolean>>>> {
    const initial = Object.freeze({ ...defaultValue });
    return this.#define(name, 'mapStringBool', usage, initial, formatStringToBool(initial), Object.keys(initial).length === 0, (text, previous) =>
      parseStringToBool(text, (previous as Readonly<Record<string, boolean>> | undefined) ?? {}),
    );
  }

  /**
   * Adds a check across flags, run by {@link FlagSet.parse} after every flag is read: it returns
   * a one-line message (naming the flags) to reject the command line, or undefined to accept it.
   */
  check(rule: (values: V) => string | undefined): this {
    this.#checks.push(rule);
    return this;
  }

  /**
   * Parses a command line (without the program name, e.g. `process.argv.slice(2)`) into every
   * flag's value plus the positional arguments. Throws {@link FlagError} for a line pflag
   * would reject (or a failed {@link FlagSet.check}) and {@link HelpRequested} for `-h`/`--help`.
   */
  parse(argv: readonly string[]): ParsedFlags<V> {
    const values = new Map<string, unknown>();
    const positionals: string[] = [];
    for (let i = 0; i < argv.length; ) {
      const arg = argv[i++]!;
      if (arg.length < 2 || !arg.startsWith('-')) {
        positionals.push(arg);
        continue;
      }
      if (arg === '--') {
        positionals.push(...argv.slice(i));
        break;
      }
      if (arg[1] !== '-') {
        // A shorthand, as pflag reads it: Eddy defines none, but keeps pflag's -h.
        const shorthand = [...arg.slice(1)][0]!;
        if (shorthand === 'h') throw new HelpRequested();
        throw new FlagError(`unknown shorthand flag: '${shorthand}' in ${arg}`);
      }
      const body = arg.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const flag = this.#flags.get(name);
      if (!flag) {
        if (name === 'help') throw new HelpRequested();
        throw new FlagError(`unknown flag: --${name}`);
      }
      let text: string;
      if (eq >= 0) text = body.slice(eq + 1);
      else if (flag.type === 'bool') text = 'true';
      else if (i < argv.length) text = argv[i++]!;
      else throw new FlagError(`flag needs an argument: ${arg}`);
      try {
        values.set(flag.key, flag.set(text, values.get(flag.key)));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new FlagError(`invalid argument ${goQuote(text)} for ${goQuote(`--${flag.name}`)} flag: ${reason}`);
      }
    }
    const result: Record<string, unknown> = {};
    for (const flag of this.#flags.values()) result[flag.key] = values.has(flag.key) ? values.get(flag.key) : flag.defaultValue;
    result['_'] = Object.freeze(positionals);
    // The one place the builder's accumulated type meets the untyped store: keys and value
    // kinds were fixed by the definition methods that built V.
    const parsed = result as ParsedFlags<V>;
    for (const rule of this.#checks) {
      const message = rule(parsed as unknown as V);
      if (message !== undefined) throw new FlagError(message);
    }
    return parsed;
  }

  /**
   * The help text as pflag prints it: `Usage of <program>:`, then one line per flag in name
   * order, `      --name type   usage (default x)`, with the usage column aligned.
   */
  usage(programName: string): string {
    const rows = this.#sorted().map((flag) => {
      const type = flag.type === 'bool' ? '' : ` ${flag.type}`;
      const shown = flag.defaultIsZero ? '' : ` (default ${flag.type === 'string' ? goQuote(flag.defaultText) : flag.defaultText})`;
      return { head: `      --${flag.name}${type}`, text: `${flag.usage}${shown}` };
    });
    // pflag pads every head to the longest one, then separates the columns with two spaces.
    const width = Math.max(0, ...rows.map((row) => row.head.length)) + 1;
    const lines = rows.map((row) => `${row.head} ${' '.repeat(width - row.head.length)} ${row.text}\n`);
    return `Usage of ${programName}:\n${lines.join('')}`;
  }

  /**
   * The flags as a Markdown table (flag, type, default, description) in name order, for the
   * generated flag reference in the docs.
   */
  reference(): string {
    const lines = ['| Flag | Type | Default | Description |', '| --- | --- | --- | --- |'];
    for (const flag of this.#sorted()) {
      const shown = flag.type === 'string' ? goQuote(flag.defaultText) : flag.defaultText;
      const defaultCell = shown === '' ? '' : `\`${escapeCell(shown)}\``;
      lines.push(`| \`--${flag.name}\` | \`${flag.type}\` | ${defaultCell} | ${escapeCell(flag.usage)} |`);
    }
    return `${lines.join('\n')}\n`;
  }

  #sorted(): FlagDefinition[] {
    return [...this.#flags.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #define<W extends object>(
    name: string,
    type: FlagType,
    usage: string,
    defaultValue: unknown,
    defaultText: string,
    defaultIsZero: boolean,
    set: (text: string, previous: unknown) => unknown,
  ): FlagSet<W> {
    if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(name)) throw new Error(`flag name ${goQuote(name)} is not lower-case kebab-case`);
    if (this.#flags.has(name)) throw new Error(`flag redefined: ${name}`);
    const key = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (this.#keys.has(key)) throw new Error(`flag --${name}: its value key ${key} is already used by another flag`);
    this.#flags.set(name, { name, key, type, usage, defaultValue, defaultText, defaultIsZero, set });
    this.#keys.add(key);
    // The set itself is unchanged; only its static type gains the new flag.
    return this as unknown as FlagSet<W>;
  }
}

function checkRange(value: number, { min, max }: NumberFlagOptions): number {
  // Written so that NaN fails any bound.
  const ok = (min === undefined || value >= min) && (max === undefined || value <= max);
  if (ok) return value;
  if (min !== undefined && max !== undefined) throw new Error(`must be between ${min} and ${max}`);
  throw new Error(min !== undefined ? `must be at least ${min}` : `must be at most ${max}`);
}

const goBools = new Map<string, boolean>([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((s) => [s, true] as const),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((s) => [s, false] as const),
]);

/** Go's `strconv.ParseBool`, with its error text. */
function parseGoBool(text: string): boolean {
  const value = goBools.get(text);
  if (value === undefined) throw new Error(`strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
  return value;
}

/**
 * Go's `strconv.ParseInt(s, 0, 64)`, as pflag's int flags use it: optional sign; `0x`, `0o`,
 * `0b` or a bare leading `0` (octal) select the base; `_` may separate digits. Limited to
 * JavaScript's safe integers.
 */
function parseGoInt(text: string): number {
  const fail = (why: string): Error => new Error(`strconv.ParseInt: parsing ${goQuote(text)}: ${why}`);
  let digits = text.startsWith('+') || text.startsWith('-') ? text.slice(1) : text;
  if (digits === '') throw fail('invalid syntax');
  let base = 10;
  if (digits.startsWith('0')) {
    const prefix = digits.length >= 3 ? digits[1]!.toLowerCase() : '';
    base = prefix === 'x' ? 16 : prefix === 'b' ? 2 : 8;
    digits = digits.slice(prefix === 'x' || prefix === 'b' || prefix === 'o' ? 2 : 1);
  }
  const valid = base === 16 ? /^[0-9a-fA-F_]*$/ : base === 8 ? /^[0-7_]*$/ : base === 2 ? /^[01_]*$/ : /^[0-9_]*$/;
  if (!valid.test(digits) || (digits.includes('_') && !underscoreOk(text))) throw fail('invalid syntax');
  const magnitude = digits === '' ? 0 : Number.parseInt(digits.replaceAll('_', ''), base);
  if (!Number.isSafeInteger(magnitude)) throw fail('value out of range');
  return text.startsWith('-') ? 0 - magnitude : magnitude;
}

/**
 * Go's `strconv.ParseFloat(s, 64)` for decimal numbers: optional sign, digits with an optional
 * fraction and exponent, `_` between digits, and `inf`/`infinity`/`nan` in any case.
 */
function parseGoFloat(text: string): number {
  const fail = (why: string): Error => new Error(`strconv.ParseFloat: parsing ${goQuote(text)}: ${why}`);
  const special = /^([+-]?)(inf|infinity)$/i.exec(text);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?$/.test(text)) throw fail('invalid syntax');
  if (text.includes('_') && !underscoreOk(text)) throw fail('invalid syntax');
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isFinite(value)) throw fail('value out of range');
  return value;
}

/** Go's `strconv.underscoreOK`: each `_` sits between digits, or between a base prefix and a digit. */
function underscoreOk(text: string): boolean {
  let s = text.startsWith('+') || text.startsWith('-') ? text.slice(1) : text;
  // The last character class seen: ^ start, 0 digit or base prefix, _ underscore, ! other.
  let saw = '^';
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(s[1]!.toLowerCase())) {
    hex = s[1]!.toLowerCase() === 'x';
    s = s.slice(2);
    saw = '0';
  }
  for (const c of s) {
    if (/[0-9]/.test(c) || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

/** One occurrence of a mapStringBool flag merged into the previous value (k8s component-base semantics). */
function parseStringToBool(text: string, previous: Readonly<Record<string, boolean>>): Readonly<Record<string, boolean>> {
  const entries = new Map(Object.entries(previous));
  for (const item of text.split(',')) {
    const pair = item.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) throw new Error('malformed pair, expect string=bool');
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    try {
      entries.set(key, parseGoBool(raw));
    } catch (err) {
      throw new Error(`invalid value of ${key}: ${raw}, err: ${(err as Error).message}`);
    }
  }
  // fromEntries defines own properties, so a key such as __proto__ stays a plain key.
  return Object.freeze(Object.fromEntries(entries));
}

/** A mapStringBool value as Kubernetes prints it: `A=true,B=false`, keys sorted. */
function formatStringToBool(value: Readonly<Record<string, boolean>>): string {
  return Object.keys(value)
    .sort()
    .map((key) => `${key}=${String(value[key])}`)
    .join(',');
}

/** Go's `%q` for the strings flags carry (JSON's quoting agrees with it for printable text). */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
