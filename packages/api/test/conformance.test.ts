// Eddy's CRDs against Flux's own, from the Go module cache (see docs/decisions/0003-api-conformance.md).
import { describe, expect, it } from 'vitest';
import { compareCrds, conformance, table } from '../codegen/conformance.ts';

const crd = (patch: { names?: object; column?: object; spec?: object } = {}): Record<string, unknown> => ({
  spec: {
    names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', categories: ['all'], ...patch.names },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: 'Ready', type: 'string', jsonPath: '.status.ready', ...patch.column }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'ours',
            properties: {
              spec: {
                type: 'object',
                required: ['interval', 'url'],
                properties: {
                  interval: { type: 'string', pattern: '^[0-9]+s$' },
                  url: { type: 'string' },
                  mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
                  ...patch.spec,
                },
              },
            },
          },
        },
      },
    ],
  },
});

describe('compareCrds', () => {
  it('finds nothing between equal CRDs, whatever the descriptions and key order say', () => {
    const flux = crd();
    const eddy = crd({ spec: { mode: { default: 'a', enum: ['b', 'a'], type: 'string', description: 'mine' } } });
    expect(compareCrds('Widget', eddy, flux)).toEqual([]);
  });

  it('names every kind of difference with its path and both values', () => {
    const flux = crd();
    const eddy = crd({
      names: { shortNames: ['wd'] },
      column: { jsonPath: '.status.other' },
      spec: { interval: { type: 'string' }, mode: { type: 'string', enum: ['a'], default: 'b' }, extra: { type: 'boolean' } },
    });
    expect(compareCrds('Widget', eddy, flux)).toEqual([
      { kind: 'Widget', path: 'crd', attribute: 'names.shortNames', eddy: '["wd"]', flux: '(absent)' },
      {
        kind: 'Widget',
        path: 'crd',
        attribute: 'additionalPrinterColumns',
        eddy: '[{"jsonPath":".status.other","name":"Ready","priority":0,"type":"string"}]',
        flux: '[{"jsonPath":".status.ready","name":"Ready","priority":0,"type":"string"}]',
      },
      { kind: 'Widget', path: 'spec.interval', attribute: 'pattern', eddy: '(absent)', flux: '"^[0-9]+s$"' },
      { kind: 'Widget', path: 'spec.mode', attribute: 'enum', eddy: '["a"]', flux: '["a","b"]' },
      { kind: 'Widget', path: 'spec.mode', attribute: 'default', eddy: '"b"', flux: '"a"' },
      { kind: 'Widget', path: 'spec.extra', attribute: 'field', eddy: 'present', flux: '(absent)' },
    ]);
  });
});

describe('conformance with Flux v2.9 CRDs', () => {
  it('has no unexplained difference for any of the 13 kinds', () => {
    const diffs = conformance();
    const unexplained = diffs.filter((d) => !d.reason);
    // On failure the table says what differs and where.
    expect(unexplained, `\n${table(unexplained)}`).toEqual([]);
  }, 300_000);
});
