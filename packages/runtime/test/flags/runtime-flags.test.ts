import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Duration } from '@eddy/api';
import { FlagError, type ParsedFlags } from '../../src/flags/flag-set.ts';
import { runtimeFlagDefaults, runtimeFlags, type RuntimeFlags } from '../../src/flags/runtime-flags.ts';
import type { LogLevel } from '../../src/logging/logger.ts';

const ms = (milliseconds: number): Duration => ({ milliseconds });

/** Flux's defaults, written out independently of the module under test. */
const fluxDefaults = {
  kubeconfig: '',
  concurrent: 4,
  requeueDependency: ms(30_000),
  watchAllNamespaces: true,
  watchLabelSelector: '',
  watchConfigsLabelSelector: 'reconcile.fluxcd.io/watch=Enabled',
  enableLeaderElection: false,
  leaderElectionLeaseDuration: ms(35_000),
  leaderElectionRenewDeadline: ms(30_000),
  leaderElectionRetryPeriod: ms(5_000),
  leaderElectionReleaseOnCancel: true,
  metricsAddr: ':8080',
  healthAddr: ':9440',
  logLevel: 'info',
  logEncoding: 'json',
  eventsAddr: '',
  noCrossNamespaceRefs: false,
  defaultServiceAccount: '',
  kubeApiQps: 50,
  kubeApiBurst: 300,
  minRetryDelay: ms(750),
  maxRetryDelay: ms(15 * 60_000),
  intervalJitterPercentage: 5,
  featureGates: {},
  runtimeNamespace: '',
  _: [],
};

function parseError(argv: readonly string[], defaults: Partial<RuntimeFlags> = {}): Error {
  try {
    runtimeFlags(defaults).parse(argv);
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error(`parse(${JSON.stringify(argv)}) did not throw`);
}

describe('runtimeFlags', () => {
  it("has Flux's defaults", () => {
    expect(runtimeFlags().parse([])).toEqual(fluxDefaults);
    expect({ ...runtimeFlagDefaults, _: [] }).toEqual(fluxDefaults);
  });

  it('takes per-controller defaults', () => {
    expect(runtimeFlags({ concurrent: 2, runtimeNamespace: 'flux-system' }).parse([])).toEqual({
      ...fluxDefaults,
      concurrent: 2,
      runtimeNamespace: 'flux-system',
    });
    expect(runtimeFlags({ concurrent: 2 }).usage('source-controller')).toContain('How many objects of each kind are reconciled at the same time. (default 2)\n');
  });

  it("parses the args of Flux's kustomize-controller Deployment", () => {
    const argv = [
      '--events-addr=http://notification-controller.flux-system.svc.cluster.local./',
      '--watch-all-namespaces=true',
      '--log-level=info',
      '--log-encoding=json',
      '--enable-leader-election',
      '--concurrent=20',
      '--kube-api-qps=500',
      '--kube-api-burst=1000',
      '--requeue-dependency=5s',
      '--feature-gates=OOMWatch=true,DisableChartDigestTracking=false',
      '--no-cross-namespace-refs=true',
      '--default-service-account=default',
      '--interval-jitter-percentage=10',
      '--min-retry-delay=1s',
      '--max-retry-delay', '5m',
      '--watch-label-selector=!sharding.fluxcd.io/key',
      '--leader-election-release-on-cancel=false',
    ];
    expect(runtimeFlags({ runtimeNamespace: 'flux-system' }).parse(argv)).toEqual({
      ...fluxDefaults,
      eventsAddr: 'http://notification-controller.flux-system.svc.cluster.local./',
      enableLeaderElection: true,
      concurrent: 20,
      kubeApiQps: 500,
      kubeApiBurst: 1000,
      requeueDependency: ms(5_000),
      featureGates: { OOMWatch: true, DisableChartDigestTracking: false },
      noCrossNamespaceRefs: true,
      defaultServiceAccount: 'default',
      intervalJitterPercentage: 10,
      minRetryDelay: ms(1_000),
      maxRetryDelay: ms(300_000),
      watchLabelSelector: '!sharding.fluxcd.io/key',
      leaderElectionReleaseOnCancel: false,
      runtimeNamespace: 'flux-system',
    });
  });

  it.each(['trace', 'debug', 'info', 'error'])('accepts --log-level=%s', (level) => {
    expect(runtimeFlags().parse([`--log-level=${level}`])).toEqual({ ...fluxDefaults, logLevel: level });
  });

  it.each(['json', 'console'])('accepts --log-encoding=%s', (encoding) => {
    expect(runtimeFlags().parse(['--log-encoding', encoding])).toEqual({ ...fluxDefaults, logEncoding: encoding });
  });

  it.each(['0', '99'])('accepts --interval-jitter-percentage=%s', (text) => {
    expect(runtimeFlags().parse([`--interval-jitter-percentage=${text}`])).toEqual({ ...fluxDefaults, intervalJitterPercentage: Number(text) });
  });

  it('restricts watches to --runtime-namespace when given', () => {
    expect(runtimeFlags().parse(['--watch-all-namespaces=false', '--runtime-namespace=flux-system'])).toEqual({
      ...fluxDefaults,
      watchAllNamespaces: false,
      runtimeNamespace: 'flux-system',
    });
  });

  it('accepts leader-election timings client-go accepts', () => {
    const argv = ['--enable-leader-election', '--leader-election-lease-duration=15s', '--leader-election-renew-deadline=10s', '--leader-election-retry-period=2s'];
    expect(runtimeFlags().parse(argv)).toEqual({
      ...fluxDefaults,
      enableLeaderElection: true,
      leaderElectionLeaseDuration: ms(15_000),
      leaderElectionRenewDeadline: ms(10_000),
      leaderElectionRetryPeriod: ms(2_000),
    });
    // Without leader election the timings are unused, so they are not checked.
    expect(runtimeFlags().parse(['--leader-election-renew-deadline=1m'])).toEqual({ ...fluxDefaults, leaderElectionRenewDeadline: ms(60_000) });
  });

  it.each<[string[], string]>([
    [['--log-level=verbose'], 'invalid argument "verbose" for "--log-level" flag: must be one of trace, debug, info, error'],
    [['--log-level=INFO'], 'invalid argument "INFO" for "--log-level" flag: must be one of trace, debug, info, error'],
    [['--log-encoding=text'], 'invalid argument "text" for "--log-encoding" flag: must be one of json, console'],
    [['--interval-jitter-percentage=100'], 'invalid argument "100" for "--interval-jitter-percentage" flag: must be between 0 and 99'],
    [['--interval-jitter-percentage=-1'], 'invalid argument "-1" for "--interval-jitter-percentage" flag: must be between 0 and 99'],
    [['--concurrent=0'], 'invalid argument "0" for "--concurrent" flag: must be at least 1'],
    [['--concurrent=abc'], 'invalid argument "abc" for "--concurrent" flag: strconv.ParseInt: parsing "abc": invalid syntax'],
    [['--kube-api-qps=-1'], 'invalid argument "-1" for "--kube-api-qps" flag: must be at least 0'],
    [['--kube-api-qps=NaN'], 'invalid argument "NaN" for "--kube-api-qps" flag: must be at least 0'],
    [['--kube-api-burst=-1'], 'invalid argument "-1" for "--kube-api-burst" flag: must be at least 0'],
    [['--watch-all-namespaces=no'], 'invalid argument "no" for "--watch-all-namespaces" flag: strconv.ParseBool: parsing "no": invalid syntax'],
    [['--metrics-addr'], 'flag needs an argument: --metrics-addr'],
    [['--watch-all-namespaces=false'], '--watch-all-namespaces=false needs the runtime namespace: set RUNTIME_NAMESPACE or --runtime-namespace'],
    [
      ['--enable-leader-election', '--leader-election-renew-deadline=40s'],
      '--leader-election-lease-duration (35s) must be greater than --leader-election-renew-deadline (40s)',
    ],
    [
      ['--enable-leader-election', '--leader-election-retry-period=25s'],
      '--leader-election-renew-deadline (30s) must be greater than 1.2 × --leader-election-retry-period (25s)',
    ],
    [['--enable-leader-election', '--leader-election-retry-period=0s'], '--leader-election-retry-period must be greater than zero, got 0s'],
    [['--enable-leader-election', '--leader-election-lease-duration=-1s'], '--leader-election-lease-duration must be greater than zero, got -1s'],
  ])('rejects %j', (argv, message) => {
    const err = parseError(argv);
    expect(err).toBeInstanceOf(FlagError);
    expect(err.message).toBe(message);
  });

  it.each<[Partial<RuntimeFlags>, string]>([
    [{ intervalJitterPercentage: 100 }, 'must be between 0 and 99'],
    [{ concurrent: 0 }, 'must be at least 1'],
    [{ logLevel: 'verbose' as LogLevel }, 'must be one of trace, debug, info, error'],
  ])('rejects the default %j', (defaults, message) => {
    expect(() => runtimeFlags(defaults)).toThrow(message);
  });

  it('lets a controller add its own flags to the same set', () => {
    const flags = runtimeFlags().bool('no-remote-bases', false, 'Disallow remote bases.').string('storage-path', '', 'Storage path.');
    const values = flags.parse(['--no-remote-bases', '--storage-path=/data', '--concurrent=8']);
    expect(values).toEqual({ ...fluxDefaults, concurrent: 8, noRemoteBases: true, storagePath: '/data' });
    expectTypeOf(values.noRemoteBases).toEqualTypeOf<boolean>();
    expectTypeOf(values.logLevel).toEqualTypeOf<LogLevel>();
    expectTypeOf(runtimeFlags().parse([])).toEqualTypeOf<ParsedFlags<RuntimeFlags>>();
  });

  it('lists every runtime flag in the reference and the help text', () => {
    const names = [
      'concurrent',
      'default-service-account',
      'enable-leader-election',
      'events-addr',
      'feature-gates',
      'health-addr',
      'interval-jitter-percentage',
      'kube-api-burst',
      'kube-api-qps',
      'kubeconfig',
      'leader-election-lease-duration',
      'leader-election-release-on-cancel',
      'leader-election-renew-deadline',
      'leader-election-retry-period',
      'log-encoding',
      'log-level',
      'max-retry-delay',
      'metrics-addr',
      'min-retry-delay',
      'no-cross-namespace-refs',
      'requeue-dependency',
      'runtime-namespace',
      'watch-all-namespaces',
      'watch-configs-label-selector',
      'watch-label-selector',
    ];
    const reference = runtimeFlags().reference();
    const rows = reference.trimEnd().split('\n').slice(2);
    expect(rows.map((row) => /^\| `--([a-z0-9-]+)` \|/.exec(row)?.[1])).toEqual(names);
    const help = runtimeFlags().usage('kustomize-controller');
    expect(help.trimEnd().split('\n').slice(1).map((line) => /^ {6}--([a-z0-9-]+)/.exec(line)?.[1])).toEqual(names);
  });

  it('documents types and defaults in the reference', () => {
    const rows = runtimeFlags().reference().split('\n');
    expect(rows).toContain('| `--concurrent` | `int` | `4` | How many objects of each kind are reconciled at the same time. |');
    expect(rows).toContain('| `--max-retry-delay` | `duration` | `15m0s` | Longest delay between retries of a failing reconcile. |');
    expect(rows).toContain('| `--watch-configs-label-selector` | `string` | `"reconcile.fluxcd.io/watch=Enabled"` | ConfigMaps and Secrets with labels matching this selector trigger the objects that reference them. |');
    expect(rows).toContain('| `--kube-api-qps` | `float` | `50` | Requests per second the controller may send to the Kubernetes API on average. |');
    expect(rows).toContain('| `--watch-all-namespaces` | `bool` | `true` | Reconcile objects in every namespace; false limits the controller to its own namespace. |');
  });
});
