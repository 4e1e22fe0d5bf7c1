/**
 * Post-build variable substitution (`spec.postBuild`): Flux's bash-style `${var}` expansion,
 * run on each built object's YAML text exactly as kustomize-controller runs drone/envsubst
 * (fluxcd/pkg/envsubst) on it, then parsed back. Variables come from `substituteFrom`
 * ConfigMaps/Secrets and the inline `substitute` map.
 */
import { Annotation, Reason, type KustomizationPostBuild } from '@eddy/api';
import { ReconcileError, type ApiObject, type ObjectClient } from '@eddy/runtime';
import { parseDocument, stringify } from 'yaml';

/** Options of {@link substituteVariables}. */
export interface SubstituteOptions {
  /** Flux's `StrictPostBuildSubstitutions` gate: an undefined variable without a default is an error. */
  strict: boolean;
  /**
   * `spec.postBuild.substituteStrategy`: `WithVariables` (the default) leaves the objects alone
   * when no variable is defined; `Always` substitutes regardless (so defaults apply and strict
   * mode reports undefined variables).
   */
  substituteStrategy?: 'WithVariables' | 'Always';
}

/** The pattern every variable name must match, as Flux's `varsubRegex`. */
export const variableNamePattern = /^[_\p{L}][_\p{L}\p{Nd}]*$/u;

/** Longest YAML text of one object substitution works on, in characters (etcd holds at most 1.5 MiB). */
const maxObjectChars = 4 * 1024 * 1024;

/** Deepest nesting of `${...}` expressions in defaults and arguments. */
const maxNesting = 32;

/**
 * Substitutes `vars` into every object (see the module comment), returning new objects in the
 * same order; objects labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`
 * are returned untouched. Throws a {@link ReconcileError} (reason BuildFailed) naming the
 * object (`Kind/namespace/name`) on an invalid variable name, a malformed expression, an
 * undefined variable in strict mode, or a result that is no longer one valid YAML object.
 */
export function substituteVariables(
  objects: Record<string, unknown>[],
  vars: Record<string, string>,
  opts: SubstituteOptions,
): Record<string, unknown>[] {
  for (const name of Object.keys(vars)) {
    if (!variableNamePattern.test(name)) {
      throw new ReconcileError(Reason.BuildFailed, `'${name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'`);
    }
  }
  if (Object.keys(vars).length === 0 && (opts.substituteStrategy ?? 'WithVariables') === 'WithVariables') return objects;
  return objects.map((obj) => (substitutionDisabled(obj) ? obj : substituteObject(obj, vars, opts.strict)));
}

/** Whether the object opts out of substitution by label or annotation. */
function substitutionDisabled(obj: Record<string, unknown>): boolean {
  const meta = obj['metadata'] as { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
  const key = Annotation.KustomizeSubstitute;
  return meta?.labels?.[key] === 'disabled' || meta?.annotations?.[key] === 'disabled';
}

/** `Kind/namespace/name` (or `Kind/name` for a cluster-scoped object), as Flux names an object in messages. */
export function objectName(obj: Record<string, unknown>): string {
  const meta = (obj['metadata'] ?? {}) as { name?: string; namespace?: string };
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : 'Object';
  return meta.namespace ? `${kind}/${meta.namespace}/${meta.name ?? ''}` : `${kind}/${meta.name ?? ''}`;
}

function substituteObject(obj: Record<string, unknown>, vars: Record<string, string>, strict: boolean): Record<string, unknown> {
  const fail = (what: string): ReconcileError => new ReconcileError(Reason.BuildFailed, `post build failed for '${objectName(obj)}': ${what}`);
  // No line folding: a folded line could split an expression across lines.
  const text = stringify(obj, { lineWidth: 0, minContentWidth: 0 });
  if (text.length > maxObjectChars) throw fail(`object larger than ${maxObjectChars} characters`);
  let output: string;
  try {
    output = envsubst(text, vars, strict);
  } catch (err) {
    throw fail(`envsubst error: variable substitution failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (output === text) return obj;
  if (output.length > maxObjectChars) throw fail(`substituted object larger than ${maxObjectChars} characters`);
  // A value may have added YAML syntax (": ", a newline, "---"): the result must still be one mapping.
  const doc = parseDocument(output, { uniqueKeys: true, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem) throw fail(`yaml parse error: ${problem.message}`);
  const parsed: unknown = doc.toJS({ maxAliasCount: 100 });
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('yaml parse error: the substituted object is not a mapping');
  return parsed as Record<string, unknown>;
}

/** One parsed piece of a template: literal text or a `${...}` expression. */
type TemplateNode = string | Expression;

/** A `${param<op>args}` expression; `op` is empty for a plain `${param}`. */
interface Expression {
  param: string;
  op: string;
  args: TemplateNode[][];
}

/** The error of a template that is not valid envsubst syntax. */
class BadSubstitution extends Error {
  constructor(at: number) {
    super(`bad substitution at offset ${at}`);
  }
}

/**
 * Expands `${...}` expressions in `text` with drone/envsubst's grammar: `$$` is a literal `$`
 * (so `$${var}` is the literal `${var}`), `$var` without braces is left alone. Undefined
 * variables expand to empty unless `strict`, where only a default (`=`, `:=`, `:-`, ...) saves them.
 */
export function envsubst(text: string, vars: Record<string, string>, strict: boolean): string {
  const nodes = new TemplateParser(text).parseTemplate();
  return evaluate(nodes, vars, strict);
}

/** Recursive-descent parser of the envsubst grammar (drone/envsubst's parse package). */
class TemplateParser {
  readonly #src: string;
  #pos = 0;
  #depth = 0;

  constructor(src: string) {
    this.#src = src;
  }

  parseTemplate(): TemplateNode[] {
    const nodes: TemplateNode[] = [];
    let text = '';
    while (this.#pos < this.#src.length) {
      if (this.#src.startsWith('$$', this.#pos)) {
        text += '$';
        this.#pos += 2;
      } else if (this.#src.startsWith('${', this.#pos)) {
        if (text) nodes.push(text);
        text = '';
        nodes.push(this.#parseExpression());
      } else {
        text += this.#src[this.#pos++];
      }
    }
    if (text) nodes.push(text);
    return nodes;
  }

  /** Parses `${...}` with the position at its `$`. */
  #parseExpression(): Expression {
    const start = this.#pos;
    if (++this.#depth > maxNesting) throw new BadSubstitution(start);
    this.#pos += 2;
    let expr: Expression;
    if (this.#peek() === '#') {
      this.#pos++;
      expr = { param: this.#ident(start), op: '#len', args: [] };
      this.#expect('}', start);
    } else {
      const param = this.#ident(start);
      expr = this.#parseOperation(param, start);
    }
    this.#depth--;
    return expr;
  }

  #parseOperation(param: string, start: number): Expression {
    const c = this.#peek();
    const next = this.#src[this.#pos + 1];
    if (c === '}') {
      this.#pos++;
      return { param, op: '', args: [] };
    }
    if ((c === ':' && next !== undefined && '=-?+'.includes(next)) || c === '=') {
      const op = c === '=' ? '=' : `:${next}`;
      this.#pos += op.length;
      const def = this.#parseArg('}', false, start);
      this.#expect('}', start);
      return { param, op, args: [def] };
    }
    if (c === ':') {
      this.#pos++;
      const offset = this.#parseArg(':}', false, start);
      if (this.#peek() === '}') {
        this.#pos++;
        return { param, op: ':', args: [offset] };
      }
      this.#pos++;
      const length = this.#parseArg('}', false, start);
      this.#expect('}', start);
      return { param, op: ':', args: [offset, length] };
    }
    if (c === ',' || c === '^') {
      const op = next === ',' || next === '^' ? `${c}${next}` : c;
      this.#pos += op.length;
      this.#expect('}', start);
      return { param, op, args: [] };
    }
    if (c === '#' || c === '%') {
      const op = next === c ? `${c}${c}` : c;
      this.#pos += op.length;
      const pattern = this.#parseArg('}', false, start);
      this.#expect('}', start);
      return { param, op, args: [pattern] };
    }
    if (c === '/') {
      const op = next === '/' || next === '#' || next === '%' ? `/${next}` : '/';
      this.#pos += op.length;
      const pattern = this.#parseArg('/', true, start);
      this.#expect('/', start);
      if (this.#peek() === '}') {
        this.#pos++;
        return { param, op, args: [pattern] };
      }
      const replacement = this.#parseArg('}', true, start);
      this.#expect('}', start);
      return { param, op, args: [pattern, replacement] };
    }
    throw new BadSubstitution(start);
  }

  /** Text and nested expressions up to (not including) one of `stops`; `\/` and `\\` escape when `escapes`. */
  #parseArg(stops: string, escapes: boolean, start: number): TemplateNode[] {
    const nodes: TemplateNode[] = [];
    let text = '';
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw new BadSubstitution(start);
      if (stops.includes(c)) break;
      if (c === '$' && this.#src[this.#pos + 1] === '{') {
        if (text) nodes.push(text);
        text = '';
        nodes.push(this.#parseExpression());
        continue;
      }
      const escaped = this.#src[this.#pos + 1];
      if (escapes && c === '\\' && (escaped === '/' || escaped === '\\')) {
        text += escaped;
        this.#pos += 2;
        continue;
      }
      text += c;
      this.#pos++;
    }
    if (text) nodes.push(text);
    return nodes;
  }

  /** A parameter name: letters, digits, `_` and `-` (drone's scanner; Flux validates defined names separately). */
  #ident(start: number): string {
    const match = /^[\p{L}\p{Nd}_-]+/u.exec(this.#src.slice(this.#pos, this.#pos + 256));
    if (!match) throw new BadSubstitution(start);
    this.#pos += match[0].length;
    return match[0];
  }

  #expect(c: string, start: number): void {
    if (this.#peek() !== c) throw new BadSubstitution(start);
    this.#pos++;
  }

  #peek(): string | undefined {
    return this.#src[this.#pos];
  }
}

/** The default operators: an undefined or empty variable takes the argument (drone treats them alike). */
const defaultOps = new Set(['=', ':=', ':-', ':?', ':+']);

function evaluate(nodes: TemplateNode[], vars: Record<string, string>, strict: boolean): string {
  let out = '';
  for (const node of nodes) out += typeof node === 'string' ? node : evaluateExpression(node, vars, strict);
  return out;
}

function evaluateExpression(expr: Expression, vars: Record<string, string>, strict: boolean): string {
  const exists = Object.hasOwn(vars, expr.param);
  if (strict && !exists && !defaultOps.has(expr.op)) throw new Error(`variable not set (strict mode): "${expr.param}"`);
  const value = exists ? (vars[expr.param] ?? '') : '';
  const args = expr.args.map((arg) => evaluate(arg, vars, strict));
  const [a = '', b] = args;
  switch (expr.op) {
    case '':
      return value;
    case '#len':
      return String(value.length);
    case ',':
      return value.charAt(0).toLowerCase() + value.slice(1);
    case ',,':
      return value.toLowerCase();
    case '^':
      return value.charAt(0).toUpperCase() + value.slice(1);
    case '^^':
      return value.toUpperCase();
    case ':':
      return substring(value, a, b);
    case '#':
      return trimPrefix(value, a, false);
    case '##':
      return trimPrefix(value, a, true);
    case '%':
      return trimSuffix(value, a, false);
    case '%%':
      return trimSuffix(value, a, true);
    case '/':
      return value.replace(a, b ?? '');
    case '//':
      return value.split(a).join(b ?? '');
    case '/#':
      return b !== undefined && value.startsWith(a) ? b + value.slice(a.length) : value;
    case '/%':
      return b !== undefined && value.endsWith(a) ? value.slice(0, value.length - a.length) + b : value;
    default:
      return value === '' ? a : value;
  }
}

/** `${var:pos}` / `${var:pos:len}`: bash substring, a negative position counting from the end. */
function substring(value: string, posText: string, lenText: string | undefined): string {
  if (!/^\s*-?\d+\s*$/.test(posText)) return value;
  let pos = Number.parseInt(posText, 10);
  if (pos < 0) pos = Math.max(0, value.length + pos);
  if (lenText === undefined) return value.slice(pos);
  if (!/^\s*-?\d+\s*$/.test(lenText)) return value;
  const len = Number.parseInt(lenText, 10);
  return pos + len >= value.length ? value.slice(pos) : value.slice(pos, pos + len);
}

/** A shell glob (`*`, `?`, `[...]`, as Go's path.Match) as an anchored regular expression. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) return /(?!)/;
      const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += `[${body.startsWith('^') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) re += escapeRegExp(glob.charAt(++i));
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, 'su');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Strips the shortest (or longest) non-empty prefix matching `glob`. */
function trimPrefix(value: string, glob: string, longest: boolean): string {
  const re = globToRegExp(glob);
  for (let k = longest ? value.length : 1; longest ? k >= 1 : k <= value.length; k += longest ? -1 : 1) {
    if (re.test(value.slice(0, k))) return value.slice(k);
  }
  return value;
}

/** Strips the shortest (or longest) non-empty suffix matching `glob`. */
function trimSuffix(value: string, glob: string, longest: boolean): string {
  const re = globToRegExp(glob);
  for (let k = longest ? value.length : 1; longest ? k >= 1 : k <= value.length; k += longest ? -1 : 1) {
    if (re.test(value.slice(value.length - k))) return value.slice(0, value.length - k);
  }
  return value;
}

/** Most characters of keys and values read from one ConfigMap or Secret, so a huge object cannot swamp a build. */
const maxVariableBytes = 1024 * 1024;

/**
 * Reads the variables of `spec.postBuild`: the data of each `substituteFrom` ConfigMap/Secret in
 * order (Secret values base64-decoded; a later reference overrides an earlier one), then the
 * inline `substitute` map, which wins. A missing reference marked `optional` contributes
 * nothing; any other missing one is a {@link ReconcileError} (reason BuildFailed) naming it.
 */
export async function collectVariables(
  kc: ObjectClient,
  namespace: string,
  postBuild: KustomizationPostBuild | undefined,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  // A Map, so a key such as `__proto__` is a variable like any other.
  const vars = new Map<string, string>();
  for (const ref of postBuild?.substituteFrom ?? []) {
    const found = await kc.find<ApiObject>({ apiVersion: 'v1', kind: ref.kind, metadata: { name: ref.name, namespace } }, signal);
    if (!found) {
      if (ref.optional) continue;
      throw new ReconcileError(Reason.BuildFailed, `substitute from '${ref.kind}/${ref.name}' error: ${ref.kind.toLowerCase()} '${namespace}/${ref.name}' not found`);
    }
    const data = (found['data'] ?? {}) as Record<string, string>;
    let size = 0;
    for (const [key, raw] of Object.entries(data)) {
      const value = ref.kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      size += key.length + value.length;
      if (size > maxVariableBytes) {
        throw new ReconcileError(Reason.BuildFailed, `substitute from '${ref.kind}/${ref.name}' error: data larger than ${maxVariableBytes} bytes`);
      }
      vars.set(key, value);
    }
  }
  for (const [key, value] of Object.entries(postBuild?.substitute ?? {})) vars.set(key, value);
  return Object.fromEntries(vars);
}
