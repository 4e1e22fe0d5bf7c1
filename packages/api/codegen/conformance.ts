/**
 * Conformance of Eddy's CRDs with Flux's. Flux's own CRDs for the pinned controller versions
 * (e2e/tools.json "flux") are read from the Go module cache (`go mod download -json
 * github.com/fluxcd/<controller>@<version>`, then `config/crd/bases/`) and compared with ours,
 * kind by kind: names, scope, versions, subresources, printer columns, and every property path's
 * type, enum, default, required, format, pattern, bounds and validation rules. Descriptions are
 * ours and are not compared. A difference passes only when docs/decisions/0003-api-conformance.md
 * lists it with a reason.
 *
 *   node packages/api/codegen/conformance.ts [Kind ...]   print the table; exit 1 on unexplained rows
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { kinds } from '../schema/index.ts';
import type { KindSchema } from '../schema/dsl.ts';
import { crdFor } from './crd.ts';
import { canonical, flatten } from './flatten.ts';
import { repoRoot } from './generate.ts';

/** One difference between Eddy's CRD and Flux's. */
export interface Difference {
  kind: string;
  path: string;
  attribute: string;
  eddy: string;
  flux: string;
  /** The reason given in the decisions file, when the difference is an accepted one. */
  reason?: string;
}

type Crd = Record<string, unknown>;

/** The folders holding Flux's CRDs, one per pinned controller (downloads the modules once). */
export function fluxCrdDirs(): string[] {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'e2e', 'tools.json'), 'utf8')) as { flux: Record<string, string> };
  return Object.entries(manifest.flux)
    .filter(([name]) => !name.startsWith('$'))
    .map(([name, version]) => {
      const out = execFileSync('go', ['mod', 'download', '-json', `github.com/fluxcd/${name}@${version}`], {
        cwd: repoRoot,
        env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
        encoding: 'utf8',
      });
      const info = JSON.parse(out) as { Dir?: string; Error?: string };
      if (!info.Dir) throw new Error(`go mod download github.com/fluxcd/${name}@${version}: ${info.Error ?? 'no Dir'}`);
      return join(info.Dir, 'config', 'crd', 'bases');
    });
}

/** Flux's CRD for a kind. */
export function fluxCrd(k: KindSchema, dirs: string[]): Crd {
  for (const dir of dirs) {
    try {
      const text = readFileSync(join(dir, `${k.group}_${k.plural}.yaml`), 'utf8');
      const doc = YAML.parseAllDocuments(text).map((d) => d.toJS() as Crd).find((d) => d && d['kind'] === 'CustomResourceDefinition');
      if (doc) return doc;
    } catch {
      // Not in this controller.
    }
  }
  throw new Error(`no Flux CRD for ${k.plural}.${k.group} in ${dirs.join(', ')}`);
}

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((acc, p) => (acc && typeof acc === 'object' ? (acc as Record<string, unknown>)[p] : undefined), o);

const sorted = (v: unknown): unknown => (Array.isArray(v) ? [...(v as unknown[])].map(String).sort() : v);

/** Every difference between two CRDs of one kind. */
export function compareCrds(kind: string, eddy: Crd, flux: Crd): Difference[] {
  const diffs: Difference[] = [];
  const add = (path: string, attribute: string, e: unknown, f: unknown): void => {
    const ce = e === undefined ? '(absent)' : canonical(e);
    const cf = f === undefined ? '(absent)' : canonical(f);
    if (ce !== cf) diffs.push({ kind, path, attribute, eddy: ce, flux: cf });
  };
  for (const n of ['kind', 'listKind', 'plural', 'singular', 'shortNames', 'categories']) {
    add('crd', `names.${n}`, sorted(get(eddy, 'spec', 'names', n)), sorted(get(flux, 'spec', 'names', n)));
  }
  add('crd', 'scope', get(eddy, 'spec', 'scope'), get(flux, 'spec', 'scope'));
  const versions = (c: Crd): Record<string, unknown>[] => (get(c, 'spec', 'versions') as Record<string, unknown>[] | undefined) ?? [];
  const brief = (c: Crd): unknown => versions(c).map((v) => ({ name: v['name'], served: v['served'], storage: v['storage'] }));
  add('crd', 'versions', brief(eddy), brief(flux));
  const ev = versions(eddy)[0];
  const fv = versions(flux).find((v) => v['name'] === ev?.['name']) ?? versions(flux)[0];
  add('crd', 'subresources', ev?.['subresources'], fv?.['subresources']);
  const columns = (v: Record<string, unknown> | undefined): unknown =>
    ((v?.['additionalPrinterColumns'] as Record<string, unknown>[] | undefined) ?? []).map((c) => ({
      name: c['name'],
      type: c['type'],
      jsonPath: c['jsonPath'],
      priority: c['priority'] ?? 0,
      format: c['format'],
    }));
  add('crd', 'additionalPrinterColumns', columns(ev), columns(fv));

  const es = flatten((get(ev, 'schema', 'openAPIV3Schema') as Record<string, unknown>) ?? {});
  const fs = flatten((get(fv, 'schema', 'openAPIV3Schema') as Record<string, unknown>) ?? {});
  for (const path of new Set([...es.keys(), ...fs.keys()])) {
    const er = es.get(path);
    const fr = fs.get(path);
    if (!er || !fr) {
      diffs.push({ kind, path, attribute: 'field', eddy: er ? 'present' : '(absent)', flux: fr ? 'present' : '(absent)' });
      continue;
    }
    for (const attr of new Set([...er.keys(), ...fr.keys()])) {
      const e = er.get(attr) ?? '(absent)';
      const f = fr.get(attr) ?? '(absent)';
      if (e !== f) diffs.push({ kind, path, attribute: attr, eddy: e, flux: f });
    }
  }
  return diffs;
}

/** The accepted differences: rows `| Kind | path | attribute | reason |` of the decisions file. */
export function acceptedDifferences(): Map<string, string> {
  const text = readFileSync(join(repoRoot, 'docs', 'decisions', '0003-api-conformance.md'), 'utf8');
  const accepted = new Map<string, string>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !cells[1] || cells[1] === 'kind' || cells[1].startsWith('-')) continue;
    const unquote = (c: string): string => c.replace(/^`|`$/g, '');
    accepted.set(`${unquote(cells[1])} ${unquote(cells[2]!)} ${unquote(cells[3]!)}`, cells[4]!);
  }
  return accepted;
}

/** The differences of the given kinds (all of the schema by default), each with its reason if accepted. */
export function conformance(of: KindSchema[] = kinds): Difference[] {
  const dirs = fluxCrdDirs();
  const accepted = acceptedDifferences();
  return of
    .flatMap((k) => compareCrds(k.kind, crdFor(k), fluxCrd(k, dirs)))
    .map((d) => ({ ...d, reason: accepted.get(`${d.kind} ${d.path} ${d.attribute}`) }));
}

/** The differences as a table. */
export function table(diffs: Difference[]): string {
  const clip = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
  const rows = diffs.map((d) => `| ${d.kind} | ${d.path} | ${d.attribute} | ${clip(d.eddy)} | ${clip(d.flux)} | ${d.reason ?? 'UNEXPLAINED'} |`);
  return ['| kind | path | attribute | eddy | flux | reason |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The kinds named on the command line: kind names, or schema files (`.ts`) whose exported kinds to check. */
async function selected(args: string[]): Promise<KindSchema[]> {
  if (!args.length) return (await import('../schema/index.ts')).kinds;
  const out: KindSchema[] = [];
  for (const arg of args) {
    if (arg.endsWith('.ts')) {
      const mod = (await import(pathToFileURL(resolve(arg)).href)) as Record<string, unknown>;
      out.push(...Object.values(mod).filter((v): v is KindSchema => !!v && typeof v === 'object' && 'kind' in v && 'spec' in v));
    } else {
      const k = (await import('../schema/index.ts')).kinds.find((x) => x.kind === arg);
      if (!k) throw new Error(`unknown kind ${arg}`);
      out.push(k);
    }
  }
  return out;
}

if (import.meta.main) {
  const only = await selected(process.argv.slice(2));
  const diffs = conformance(only);
  const unexplained = diffs.filter((d) => !d.reason);
  if (diffs.length) console.log(table(diffs));
  const checked = only.map((k) => k.kind).join(', ');
  console.log(`\n${checked}: ${diffs.length} differences, ${unexplained.length} unexplained`);
  process.exit(unexplained.length ? 1 : 0);
}
