// Post-build variable substitution: the envsubst grammar, strict mode, opt-outs and YAML safety.
import { ReconcileError } from '@eddy/runtime';
import { describe, expect, it } from 'vitest';
import { envsubst, substituteVariables } from '../src/substitute.ts';

const vars = { name: 'web', empty: '', path: 'a/b/c.tar.gz', Mixed: 'hello World', num: '8080', __proto__x: 'p' };

describe('envsubst', () => {
  it.each([
    ['plain', '${name}', 'web'],
    ['text around', 'x-${name}-y', 'x-web-y'],
    ['two', '${name}${num}', 'web8080'],
    ['no braces left alone', '$name and $ {name}', '$name and $ {name}'],
    ['escape', '$${name}', '${name}'],
    ['escaped dollar', 'a$$b', 'a$b'],
    ['escape then expression', '$$${name}', '$web'],
    ['lone dollar', 'cost: 5$', 'cost: 5$'],
    [':= default on undefined', '${missing:=dflt}', 'dflt'],
    [':= default on empty', '${empty:=dflt}', 'dflt'],
    [':= keeps value', '${name:=dflt}', 'web'],
    [':- default', '${missing:-dflt}', 'dflt'],
    ['= default', '${missing=dflt}', 'dflt'],
    ['empty default', '${missing:=}', ''],
    ['default with spaces and colons', '${missing:=a b: c}', 'a b: c'],
    ['nested default', '${missing:=${name}-x}', 'web-x'],
    ['doubly nested', '${missing:=${other:=${num}}}', '8080'],
    ['substring', '${Mixed:6}', 'World'],
    ['substring length', '${Mixed:0:5}', 'hello'],
    ['substring past end', '${Mixed:6:100}', 'World'],
    ['substring negative', '${Mixed: -5}', 'World'],
    ['substring bad offset', '${Mixed:x}', 'hello World'],
    ['length', '${#name}', '3'],
    ['upper first', '${name^}', 'Web'],
    ['upper all', '${name^^}', 'WEB'],
    ['lower first', '${Mixed,}', 'hello World'],
    ['lower all', '${Mixed,,}', 'hello world'],
    ['replace first', '${path/\\//-}', 'a-b/c.tar.gz'],
    ['replace all', '${path//\\//-}', 'a-b-c.tar.gz'],
    ['replace with nothing', '${path//\\//}', 'abc.tar.gz'],
    ['replace prefix', '${path/#a/x}', 'x/b/c.tar.gz'],
    ['replace prefix no match', '${path/#b/x}', 'a/b/c.tar.gz'],
    ['replace suffix', '${path/%gz/bz2}', 'a/b/c.tar.bz2'],
    ['trim shortest prefix', '${path#*/}', 'b/c.tar.gz'],
    ['trim longest prefix glob stays in segment', '${path##*/}', 'b/c.tar.gz'],
    ['trim shortest suffix', '${path%.*}', 'a/b/c.tar'],
    ['trim longest suffix', '${path%%.*}', 'a/b/c'],
    ['trim char class', '${num#[0-9]}', '080'],
    ['unicode name', '${ünï:=ok}', 'ok'],
  ])('%s: %s → %s', (_case, input, expected) => {
    expect(envsubst(input, vars, false)).toBe(expected);
  });

  it.each([
    ['undefined plain', '${missing}', ''],
    ['undefined transform', '${missing^^}', ''],
    ['undefined substring', '${missing:1}', ''],
    ['dashed name is one (undefined) name', '${name-x}', ''],
  ])('non-strict %s: %s → %j', (_case, input, expected) => {
    expect(envsubst(input, vars, false)).toBe(expected);
  });

  it.each([
    ['${missing}', 'missing'],
    ['${missing^^}', 'missing'],
    ['${missing:1:2}', 'missing'],
    ['${missing/a/b}', 'missing'],
    ['${missing:=${other}}', 'other'],
    ['${name-x}', 'name-x'],
  ])('strict %s fails naming %s', (input, name) => {
    expect(() => envsubst(input, vars, true)).toThrow(`variable not set (strict mode): "${name}"`);
  });

  it.each([['${missing:=d}'], ['${missing=d}'], ['${missing:-d}'], ['${empty}'], ['$${missing}'], ['$missing']])('strict tolerates %s', (input) => {
    expect(() => envsubst(input, vars, true)).not.toThrow();
  });

  it.each([['${'], ['${name'], ['${}'], ['${ name}'], ['${name:=x'], ['${name!}'], ['${path/a}'], ['${#}']])('%s is a bad substitution', (input) => {
    expect(() => envsubst(input, vars, false)).toThrow(/bad substitution/);
  });
});

function configMap(data: Record<string, string>, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'apps', ...meta }, data };
}

describe('substituteVariables', () => {
  it('substitutes every object and parses scalars back with YAML types', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: '${name}', namespace: 'apps', labels: { tier: '${tier:=front}' } },
      spec: { replicas: '${replicas}', template: { spec: { containers: [{ name: 'c', image: 'nginx:${tag}', args: ['--port=${num}'] }] } } },
    };
    expect(substituteVariables([deploy, configMap({ a: '${name}' })], { name: 'web', replicas: '3', tag: '1.27', num: '80' }, { strict: true })).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'apps', labels: { tier: 'front' } },
        spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27', args: ['--port=80'] }] } } },
      },
      configMap({ a: 'web' }),
    ]);
  });

  it('keeps a string the serializer quoted a string, while a substituted plain scalar takes its YAML type', () => {
    const [out] = substituteVariables([configMap({ port: '8080', x: '${num}' })], { num: '1' }, { strict: true });
    expect(out).toEqual(configMap({ port: '8080', x: 1 } as unknown as Record<string, string>));
  });

  it.each([
    ['annotation', { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } }],
    ['label', { labels: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } }],
  ])('leaves an object opted out by %s untouched, even in strict mode', (_case, meta) => {
    const obj = configMap({ script: 'echo ${HOME} ${undefinedThing}' }, meta);
    expect(substituteVariables([obj], { name: 'x' }, { strict: true })).toEqual([obj]);
  });

  it('substitutes an object whose opt-out is not "disabled"', () => {
    const obj = configMap({ a: '${name}' }, { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'enabled' } });
    expect(substituteVariables([obj], { name: 'x' }, { strict: true })).toEqual([configMap({ a: 'x' }, { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'enabled' } })]);
  });

  it('WithVariables (the default) does nothing without variables; Always still applies defaults and strictness', () => {
    const obj = configMap({ a: '${x:=d}', b: '${y}' });
    expect(substituteVariables([obj], {}, { strict: true })).toEqual([obj]);
    expect(substituteVariables([obj], {}, { strict: true, substituteStrategy: 'WithVariables' })).toEqual([obj]);
    expect(substituteVariables([obj], {}, { strict: false, substituteStrategy: 'Always' })).toEqual([configMap({ a: 'd', b: null } as unknown as Record<string, string>)]);
    expect(() => substituteVariables([obj], {}, { strict: true, substituteStrategy: 'Always' })).toThrow(`post build failed for 'ConfigMap/apps/cm': envsubst error: variable substitution failed: variable not set (strict mode): "y"`);
  });

  it('strict: an undefined variable is a BuildFailed ReconcileError naming the object and the variable', () => {
    const err = captureError(() => substituteVariables([configMap({ a: 'ok' }), configMap({ a: '${nope}' }, { name: 'second' })], { name: 'x' }, { strict: true }));
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'BuildFailed', message: `post build failed for 'ConfigMap/apps/second': envsubst error: variable substitution failed: variable not set (strict mode): "nope"` });
  });

  it('names a cluster-scoped object Kind/name', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels: { a: '${nope}' } } };
    expect(() => substituteVariables([ns], { x: '1' }, { strict: true })).toThrow(`post build failed for 'Namespace/n'`);
  });

  it('non-strict: an undefined variable becomes empty (a whole plain scalar then reads as null, as in Flux)', () => {
    expect(substituteVariables([configMap({ a: 'x${nope}y', b: '${nope}' })], { x: '1' }, { strict: false })).toEqual([configMap({ a: 'xy', b: null } as unknown as Record<string, string>)]);
  });

  it.each([['1abc'], ['a-b'], ['a.b'], ['']])('rejects the variable name %j', (name) => {
    expect(() => substituteVariables([configMap({})], { [name]: 'v' }, { strict: false })).toThrow(`'${name}' var name is invalid`);
  });

  it.each([['_a'], ['A1'], ['ünï'], ['__proto__']])('accepts the variable name %j', (name) => {
    expect(substituteVariables([configMap({ a: `\${${name}}` })], Object.fromEntries([[name, 'v']]), { strict: true })).toEqual([configMap({ a: 'v' })]);
  });

  it('a value with ": " in a plain scalar breaks the YAML: the error names the object', () => {
    const err = captureError(() => substituteVariables([configMap({ a: '${v}' })], { v: 'x: y' }, { strict: true }));
    expect(err).toBeInstanceOf(ReconcileError);
    expect((err as Error).message).toMatch(/^post build failed for 'ConfigMap\/apps\/cm': yaml parse error: /);
  });

  it('a value inside a quoted scalar keeps its colon', () => {
    // The serializer quotes a string that contains ": " itself, so a value substituted inside it stays a string.
    expect(substituteVariables([configMap({ a: 'k: ${v}' })], { v: 'x: y' }, { strict: true })).toEqual([configMap({ a: 'k: x: y' })]);
  });

  it('a value with newlines and a document marker cannot smuggle another object in', () => {
    expect(() => substituteVariables([configMap({ a: '${v}' })], { v: 'x\n---\nkind: Secret' }, { strict: true })).toThrow(/post build failed for 'ConfigMap\/apps\/cm': yaml parse error/);
  });

  it('a value that adds a duplicate key is an error', () => {
    expect(() => substituteVariables([configMap({ a: '${v}', b: '1' })], { v: 'x\n  b: 2' }, { strict: true })).toThrow(/yaml parse error/);
  });

  it('escapes survive as literals', () => {
    expect(substituteVariables([configMap({ a: '$${name} ${name}', b: 'a $$ b' })], { name: 'w' }, { strict: true })).toEqual([configMap({ a: '${name} w', b: 'a $ b' })]);
  });

  it('a malformed expression is an error naming the object', () => {
    expect(() => substituteVariables([configMap({ a: '${oops' })], { name: 'w' }, { strict: false })).toThrow(/post build failed for 'ConfigMap\/apps\/cm': envsubst error: variable substitution failed: bad substitution/);
  });

  it('returns an object without expressions as it was', () => {
    const obj = configMap({ a: 'plain' });
    expect(substituteVariables([obj], { name: 'w' }, { strict: true })[0]).toBe(obj);
  });

  it('substitutes in a long line: the serializer never folds one', () => {
    const long = `${'x '.repeat(100)}\${name:=a default with spaces}`;
    expect(substituteVariables([configMap({ a: long })], { name: 'w' }, { strict: true })).toEqual([configMap({ a: `${'x '.repeat(100)}w` })]);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
