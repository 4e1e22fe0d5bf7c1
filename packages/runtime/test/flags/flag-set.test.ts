import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Duration } from '@eddy/api';
import { FlagError, FlagSet, HelpRequested, type FlagValues, type ParsedFlags } from '../../src/flags/flag-set.ts';

/** One flag of every kind, with pflag-typical names and defaults. */
function sample() {
  return new FlagSet()
    .bool('watch-all-namespaces', true, 'Watch all namespaces.')
    .bool('debug', false, 'Debug.')
    .string('metrics-addr', ':8080', 'Metrics address.')
    .int('concurrent', 4, 'Concurrent reconciles.', { min: 1 })
    .float('qps', 50, 'Queries per second.')
    .duration('interval', '30s', 'Interval.')
    .stringArray('include', [], 'Includes.')
    .stringToBool('feature-gates', {}, 'Feature gates.');
}

const defaults: ParsedFlags<FlagValues<ReturnType<typeof sample>>> = {
  watchAllNamespaces: true,
  debug: false,
  metricsAddr: ':8080',
  concurrent: 4,
  qps: 50,
  interval: { milliseconds: 30_000 },
  include: [],
  featureGates: {},
  _: [],
};

/** The error parse throws, so tests can assert its class and complete message. */
function parseError(flags: { parse(argv: readonly string[]): unknown }, argv: readonly string[]): Error {
  try {
    flags.parse(argv);
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error(`parse(${JSON.stringify(argv)}) did not throw`);
}

describe('FlagSet.parse', () => {
  it.each<[string[], Partial<typeof defaults>]>([
    [[], {}],
    // bool: alone is true; only --name=value sets other values; never consumes the next argument
    [['--debug'], { debug: true }],
    [['--watch-all-namespaces=false'], { watchAllNamespaces: false }],
    [['--debug', 'false'], { debug: true, _: ['false'] }],
    [['--watch-all-namespaces', 'false'], { _: ['false'] }],
    [['--debug', '--debug=false'], { debug: false }],
    // string: --name=value and --name value; the next argument is taken even if it looks like a flag
    [['--metrics-addr=:9090'], { metricsAddr: ':9090' }],
    [['--metrics-addr', ':9090'], { metricsAddr: ':9090' }],
    [['--metrics-addr='], { metricsAddr: '' }],
    [['--metrics-addr', ''], { metricsAddr: '' }],
    [['--metrics-addr=a=b'], { metricsAddr: 'a=b' }],
    [['--metrics-addr', '--debug'], { metricsAddr: '--debug' }],
    [['--metrics-addr', '-h'], { metricsAddr: '-h' }],
    [['--metrics-addr=:1', '--metrics-addr=:2'], { metricsAddr: ':2' }],
    // int: Go's ParseInt with base 0
    [['--concurrent=10'], { concurrent: 10 }],
    [['--concurrent', '10'], { concurrent: 10 }],
    [['--concurrent=+7'], { concurrent: 7 }],
    [['--concurrent=0x1f'], { concurrent: 31 }],
    [['--concurrent=0X1F'], { concurrent: 31 }],
    [['--concurrent=0o17'], { concurrent: 15 }],
    [['--concurrent=010'], { concurrent: 8 }],
    [['--concurrent=0b101'], { concurrent: 5 }],
    [['--concurrent=1_000'], { concurrent: 1000 }],
    [['--concurrent=0x_ff'], { concurrent: 255 }],
    [['--concurrent=2', '--concurrent=3'], { concurrent: 3 }],
    // float: Go's ParseFloat
    [['--qps=2.5'], { qps: 2.5 }],
    [['--qps', '1e3'], { qps: 1000 }],
    [['--qps=.5'], { qps: 0.5 }],
    [['--qps=5.'], { qps: 5 }],
    [['--qps=-1.5E-1'], { qps: -0.15 }],
    [['--qps=1_000.5'], { qps: 1000.5 }],
    [['--qps=0'], { qps: 0 }],
    [['--qps=Inf'], { qps: Infinity }],
    [['--qps=-infinity'], { qps: -Infinity }],
    [['--qps=NaN'], { qps: Number.NaN }],
    // duration: Go syntax into a Duration value
    [['--interval=1m30s'], { interval: { milliseconds: 90_000 } }],
    [['--interval', '750ms'], { interval: { milliseconds: 750 } }],
    [['--interval=0'], { interval: { milliseconds: 0 } }],
    [['--interval=1h'], { interval: { milliseconds: 3_600_000 } }],
    // stringArray: one value per occurrence, verbatim
    [['--include=a'], { include: ['a'] }],
    [['--include', 'a,b', '--include=c', '--include='], { include: ['a,b', 'c', ''] }],
    // stringToBool: comma-separated pairs, spaces ignored, occurrences merge
    [['--feature-gates=A=true,B=false'], { featureGates: { A: true, B: false } }],
    [['--feature-gates', ' A = t , ,B=0', '--feature-gates=A=False,C=1'], { featureGates: { A: false, B: false, C: true } }],
    [['--feature-gates='], { featureGates: {} }],
    [['--feature-gates=__proto__=true'], { featureGates: JSON.parse('{"__proto__":true}') as Record<string, boolean> }],
    // positionals: anywhere on the line; -- ends the flags; a lone - is positional
    [['a', '--debug', 'b'], { debug: true, _: ['a', 'b'] }],
    [['--', '--debug', '-h', 'x'], { _: ['--debug', '-h', 'x'] }],
    [['--debug', '--', '--', '--concurrent=x'], { debug: true, _: ['--', '--concurrent=x'] }],
    [['-'], { _: ['-'] }],
    [[''], { _: [''] }],
  ])('%j', (argv, expected) => {
    expect(sample().parse(argv)).toEqual({ ...defaults, ...expected });
  });

  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('reads --debug=%s as true', (text) => {
    expect(sample().parse([`--debug=${text}`])).toEqual({ ...defaults, debug: true });
  });

  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('reads --watch-all-namespaces=%s as false', (text) => {
    expect(sample().parse([`--watch-all-namespaces=${text}`])).toEqual({ ...defaults, watchAllNamespaces: false });
  });

  it.each<[string[], string]>([
    [['--foo'], 'unknown flag: --foo'],
    [['--foo=bar'], 'unknown flag: --foo'],
    [['--Debug'], 'unknown flag: --Debug'],
    [['--debug', '--foo', '--metrics-addr'], 'unknown flag: --foo'],
    [['-debug'], "unknown shorthand flag: 'd' in -debug"],
    [['-concurrent=2'], "unknown shorthand flag: 'c' in -concurrent=2"],
    [['-x'], "unknown shorthand flag: 'x' in -x"],
    [['---debug'], 'bad flag syntax: ---debug'],
    [['--=x'], 'bad flag syntax: --=x'],
    [['--metrics-addr'], 'flag needs an argument: --metrics-addr'],
    [['--debug', '--concurrent'], 'flag needs an argument: --concurrent'],
    [['--interval'], 'flag needs an argument: --interval'],
    [['--include'], 'flag needs an argument: --include'],
    [['--debug=yes'], 'invalid argument "yes" for "--debug" flag: strconv.ParseBool: parsing "yes": invalid syntax'],
    [['--debug='], 'invalid argument "" for "--debug" flag: strconv.ParseBool: parsing "": invalid syntax'],
    [['--debug=on'], 'invalid argument "on" for "--debug" flag: strconv.ParseBool: parsing "on": invalid syntax'],
    [['--concurrent=abc'], 'invalid argument "abc" for "--concurrent" flag: strconv.ParseInt: parsing "abc": invalid syntax'],
    [['--concurrent', '1.5'], 'invalid argument "1.5" for "--concurrent" flag: strconv.ParseInt: parsing "1.5": invalid syntax'],
    [['--concurrent='], 'invalid argument "" for "--concurrent" flag: strconv.ParseInt: parsing "": invalid syntax'],
    [['--concurrent=-'], 'invalid argument "-" for "--concurrent" flag: strconv.ParseInt: parsing "-": invalid syntax'],
    [['--concurrent=08'], 'invalid argument "08" for "--concurrent" flag: strconv.ParseInt: parsing "08": invalid syntax'],
    [['--concurrent=0x'], 'invalid argument "0x" for "--concurrent" flag: strconv.ParseInt: parsing "0x": invalid syntax'],
    [['--concurrent=1__0'], 'invalid argument "1__0" for "--concurrent" flag: strconv.ParseInt: parsing "1__0": invalid syntax'],
    [['--concurrent=_1'], 'invalid argument "_1" for "--concurrent" flag: strconv.ParseInt: parsing "_1": invalid syntax'],
    [['--concurrent=1_'], 'invalid argument "1_" for "--concurrent" flag: strconv.ParseInt: parsing "1_": invalid syntax'],
    [['--concurrent= 4'], 'invalid argument " 4" for "--concurrent" flag: strconv.ParseInt: parsing " 4": invalid syntax'],
    [
      ['--concurrent=99999999999999999999'],
      'invalid argument "99999999999999999999" for "--concurrent" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range',
    ],
    [['--concurrent=0'], 'invalid argument "0" for "--concurrent" flag: must be at least 1'],
    [['--concurrent=-3'], 'invalid argument "-3" for "--concurrent" flag: must be at least 1'],
    [['--qps=fast'], 'invalid argument "fast" for "--qps" flag: strconv.ParseFloat: parsing "fast": invalid syntax'],
    [['--qps=.'], 'invalid argument "." for "--qps" flag: strconv.ParseFloat: parsing ".": invalid syntax'],
    [['--qps=1e'], 'invalid argument "1e" for "--qps" flag: strconv.ParseFloat: parsing "1e": invalid syntax'],
    [['--qps=1_.5'], 'invalid argument "1_.5" for "--qps" flag: strconv.ParseFloat: parsing "1_.5": invalid syntax'],
    [['--qps=+nan'], 'invalid argument "+nan" for "--qps" flag: strconv.ParseFloat: parsing "+nan": invalid syntax'],
    [['--qps=1e999'], 'invalid argument "1e999" for "--qps" flag: strconv.ParseFloat: parsing "1e999": value out of range'],
    [
      ['--interval=30'],
      'invalid argument "30" for "--interval" flag: invalid duration "30": expected a number with a unit (ns, us, ms, s, m, h), e.g. 1m30s',
    ],
    [
      ['--interval', '1d'],
      'invalid argument "1d" for "--interval" flag: invalid duration "1d": expected a number with a unit (ns, us, ms, s, m, h), e.g. 1m30s',
    ],
    [['--feature-gates=A'], 'invalid argument "A" for "--feature-gates" flag: malformed pair, expect string=bool'],
    [['--feature-gates=A=true,B'], 'invalid argument "A=true,B" for "--feature-gates" flag: malformed pair, expect string=bool'],
    [
      ['--feature-gates=A=maybe'],
      'invalid argument "A=maybe" for "--feature-gates" flag: invalid value of A: maybe, err: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
  ])('rejects %j', (argv, message) => {
    const err = parseError(sample(), argv);
    expect(err).toBeInstanceOf(FlagError);
    expect({ name: err.name, message: err.message }).toEqual({ name: 'FlagError', message });
  });

  it.each<[string[]]>([[['-h']], [['--help']], [['--help=false']], [['-hv']], [['--debug', '-h', '--foo']], [['pos', '--help', '--concurrent=x']]])(
    'reports help for %j',
    (argv) => {
      const err = parseError(sample(), argv);
      expect(err).toBeInstanceOf(HelpRequested);
      expect(err).not.toBeInstanceOf(FlagError);
      expect({ name: err.name, message: err.message }).toEqual({ name: 'HelpRequested', message: 'help requested' });
    },
  );

  it('reports the first error on the line, as pflag stops there', () => {
    expect(parseError(sample(), ['--foo', '-h']).message).toBe('unknown flag: --foo');
  });

  it('uses a flag named help instead of requesting help', () => {
    const flags = new FlagSet().bool('help', false, 'Show help.');
    expect(flags.parse(['--help'])).toEqual({ help: true, _: [] });
    expect(parseError(flags, ['-h'])).toBeInstanceOf(HelpRequested);
  });

  it('replaces a repeatable default on the first occurrence and accumulates afterwards', () => {
    const flags = new FlagSet().stringArray('include', ['a', 'b'], 'Includes.').stringToBool('feature-gates', { A: true, B: true }, 'Gates.');
    expect(flags.parse([])).toEqual({ include: ['a', 'b'], featureGates: { A: true, B: true }, _: [] });
    expect(flags.parse(['--include=c', '--include=d', '--feature-gates=B=false', '--feature-gates=C=true'])).toEqual({
      include: ['c', 'd'],
      featureGates: { B: false, C: true },
      _: [],
    });
  });

  it('returns fresh values from each parse, leaving the defaults untouched', () => {
    const flags = sample();
    const first = flags.parse(['--include=a', '--feature-gates=A=true', 'x']);
    expect(flags.parse([])).toEqual(defaults);
    expect(first).toEqual({ ...defaults, include: ['a'], featureGates: { A: true }, _: ['x'] });
    expect(Object.isFrozen(first.include) && Object.isFrozen(first.featureGates) && Object.isFrozen(first._)).toBe(true);
  });

  it('accepts a Duration value as a default', () => {
    expect(new FlagSet().duration('timeout', { milliseconds: 1500 }, 'Timeout.').parse([])).toEqual({ timeout: { milliseconds: 1500 }, _: [] });
  });

  it('keeps a string flag to its oneOf values', () => {
    const flags = new FlagSet().string('log-encoding', 'json', 'Encoding.', { oneOf: ['json', 'console'] });
    expect(flags.parse(['--log-encoding=console'])).toEqual({ logEncoding: 'console', _: [] });
    expect(parseError(flags, ['--log-encoding=text']).message).toBe('invalid argument "text" for "--log-encoding" flag: must be one of json, console');
  });

  it.each<[NumberFlagCase, string[], string]>([
    [{ min: 0, max: 99 }, ['--n=100'], 'invalid argument "100" for "--n" flag: must be between 0 and 99'],
    [{ min: 0, max: 99 }, ['--n=-1'], 'invalid argument "-1" for "--n" flag: must be between 0 and 99'],
    [{ max: 10 }, ['--n=11'], 'invalid argument "11" for "--n" flag: must be at most 10'],
    [{ min: 0 }, ['--n=-0.5'], 'invalid argument "-0.5" for "--n" flag: must be at least 0'],
    [{ min: 0 }, ['--n=nan'], 'invalid argument "nan" for "--n" flag: must be at least 0'],
  ])('bounds a number flag %j: %j', (options, argv, message) => {
    const flags = new FlagSet().float('n', 0, 'N.', options);
    expect(parseError(flags, argv).message).toBe(message);
  });

  it('runs checks across flags after reading every flag', () => {
    const flags = new FlagSet()
      .duration('min-delay', '1s', 'Min.')
      .duration('max-delay', '10s', 'Max.')
      .check((v) => (v.minDelay.milliseconds > v.maxDelay.milliseconds ? '--min-delay must not exceed --max-delay' : undefined));
    expect(flags.parse(['--min-delay=5s'])).toEqual({ minDelay: { milliseconds: 5000 }, maxDelay: { milliseconds: 10_000 }, _: [] });
    const err = parseError(flags, ['--min-delay=20s']);
    expect(err).toBeInstanceOf(FlagError);
    expect(err.message).toBe('--min-delay must not exceed --max-delay');
  });
});

type NumberFlagCase = { min?: number; max?: number };

describe('FlagSet definitions', () => {
  it.each([[''], ['Debug'], ['a_b'], ['-x'], ['x-'], ['a--b'], ['1x'], ['a b'], ['a=b']])('rejects the name %j', (name) => {
    expect(() => new FlagSet().bool(name, false, 'X.')).toThrow(`flag name ${JSON.stringify(name)} is not lower-case kebab-case`);
  });

  it('rejects a redefined flag', () => {
    expect(() => new FlagSet().bool('debug', false, 'X.').string('debug', '', 'Y.')).toThrow('flag redefined: debug');
  });

  it('rejects two names with the same value key', () => {
    expect(() => new FlagSet().bool('a1b', false, 'X.').bool('a-1b', false, 'Y.')).toThrow('flag --a-1b: its value key a1b is already used by another flag');
  });

  it.each<[string, () => unknown, string]>([
    ['int below min', () => new FlagSet().int('n', 0, 'N.', { min: 1 }), 'must be at least 1'],
    ['int above max', () => new FlagSet().int('n', 100, 'N.', { min: 0, max: 99 }), 'must be between 0 and 99'],
    ['int not integral', () => new FlagSet().int('n', 1.5, 'N.'), 'flag --n: default 1.5 is not an integer'],
    ['float below min', () => new FlagSet().float('n', -1, 'N.', { min: 0 }), 'must be at least 0'],
    ['string outside oneOf', () => new FlagSet().string('s', 'x' as 'a', 'S.', { oneOf: ['a', 'b'] }), 'must be one of a, b'],
    ['bad duration text', () => new FlagSet().duration('d', '30', 'D.'), 'invalid duration "30"'],
  ])('rejects a default: %s', (_, define, message) => {
    expect(define).toThrow(message);
  });
});

describe('FlagSet types', () => {
  it('accumulates the value type of each definition under its camelCase key', () => {
    const f = new FlagSet().bool('x', true, 'X.').string('y', '', 'Y.');
    const v = f.parse([]);
    expectTypeOf(v.x).toEqualTypeOf<boolean>();
    expectTypeOf(v).toEqualTypeOf<{ readonly x: boolean; readonly y: string; readonly _: readonly string[] }>();
    expectTypeOf(sample().parse([])).toEqualTypeOf<{
      readonly watchAllNamespaces: boolean;
      readonly debug: boolean;
      readonly metricsAddr: string;
      readonly concurrent: number;
      readonly qps: number;
      readonly interval: Duration;
      readonly include: readonly string[];
      readonly featureGates: Readonly<Record<string, boolean>>;
      readonly _: readonly string[];
    }>();
    expectTypeOf<FlagValues<typeof f>>().toEqualTypeOf<{ readonly x: boolean; readonly y: string }>();
  });

  it('narrows a oneOf string flag to the union of its values', () => {
    const v = new FlagSet().string('log-level', 'info', 'Level.', { oneOf: ['debug', 'info'] }).parse([]);
    expectTypeOf(v.logLevel).toEqualTypeOf<'debug' | 'info'>();
    // @ts-expect-error the default must be one of the values
    expect(() => new FlagSet().string('log-level', 'verbose', 'Level.', { oneOf: ['debug', 'info'] })).toThrow('must be one of debug, info');
  });
});

describe('FlagSet.usage', () => {
  it('prints pflag-style help: sorted, aligned, with non-zero defaults', () => {
    const flags = new FlagSet()
      .bool('watch', true, 'Watch.')
      .bool('debug', false, 'Enable debug.')
      .string('addr', ':8080', 'Address.')
      .string('empty', '', 'Empty.')
      .int('n', 4, 'Count.')
      .int('zero', 0, 'Zero.')
      .float('qps', 0.5, 'QPS.')
      .duration('every', '1m30s', 'Interval.')
      .duration('max', '15m', 'Max.')
      .stringArray('inc', ['a', 'b'], 'Includes.')
      .stringArray('exc', [], 'Excludes.')
      .stringToBool('gates', { B: false, A: true }, 'Gates.');
    expect(flags.usage('kustomize-controller')).toBe(
      [
        'Usage of kustomize-controller:',
        '      --addr string           Address. (default ":8080")',
        '      --debug                 Enable debug.',
        '      --empty string          Empty.',
        '      --every duration        Interval. (default 1m30s)',
        '      --exc stringArray       Excludes.',
        '      --gates mapStringBool   Gates. (default A=true,B=false)',
        '      --inc stringArray       Includes. (default [a,b])',
        '      --max duration          Max. (default 15m0s)',
        '      --n int                 Count. (default 4)',
        '      --qps float             QPS. (default 0.5)',
        '      --watch                 Watch. (default true)',
        '      --zero int              Zero.',
        '',
      ].join('\n'),
    );
  });
});

describe('FlagSet.reference', () => {
  it('renders a Markdown table in name order', () => {
    const flags = new FlagSet()
      .string('metrics-addr', ':8080', 'Listen address of the metrics endpoint.')
      .bool('watch-all-namespaces', true, 'Watch all namespaces.')
      .string('kubeconfig', '', 'Kubeconfig file to use.')
      .duration('requeue-dependency', '30s', 'The interval.')
      .stringToBool('feature-gates', {}, 'Gates | pairs.')
      .stringArray('include', [], 'Includes.');
    expect(flags.reference()).toBe(
      [
        '| Flag | Type | Default | Description |',
        '| --- | --- | --- | --- |',
        '| `--feature-gates` | `mapStringBool` |  | Gates \\| pairs. |',
        '| `--include` | `stringArray` | `[]` | Includes. |',
        '| `--kubeconfig` | `string` | `""` | Kubeconfig file to use. |',
        '| `--metrics-addr` | `string` | `":8080"` | Listen address of the metrics endpoint. |',
        '| `--requeue-dependency` | `duration` | `30s` | The interval. |',
        '| `--watch-all-namespaces` | `bool` | `true` | Watch all namespaces. |',
        '',
      ].join('\n'),
    );
  });
});
