import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../src/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['1s', 1_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2h45m10s', 9_910_000],
    ['10m0s', 600_000],
    ['1us', 0.001],
    ['1µs', 0.001],
    ['100ns', 0.0001],
    ['.5s', 500],
    ['-1m', -60_000],
    ['+5s', 5_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text).milliseconds).toBeCloseTo(ms, 9);
  });

  it.each([[''], ['1'], ['m'], ['1d'], ['1 m'], ['1m 30s'], ['ten seconds'], ['1.5'], ['--1s'], ['1S']])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
    expect(() => parseDuration(text)).toThrow(/expected a number with a unit/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1_000, '1s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
    [9_910_500, '2h45m10.5s'],
    [0.001, '1µs'],
    [-60_000, '-1m0s'],
  ])('%d ms prints %s', (ms, text) => {
    expect(formatDuration({ milliseconds: ms })).toBe(text);
  });

  it.each([['1m30s'], ['2h45m10.5s'], ['150ms'], ['0s']])('round-trips %s', (text) => {
    expect(formatDuration(parseDuration(text))).toBe(text);
  });
});
