/**
 * Go-syntax durations (`1m30s`, `500ms`, `1.5h`), as Flux's `interval`, `timeout` and
 * `retryInterval` fields hold them. Parsed once into a {@link Duration} value.
 */

/** A length of time in milliseconds (fractions of a millisecond are kept). */
export interface Duration {
  readonly milliseconds: number;
}

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Thrown for a string that is not a Go duration; the message says which part is wrong. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
}

/**
 * Parses a Go duration: an optional sign, then one or more `<number><unit>` parts with units
 * ns, us (µs), ms, s, m, h; `0` alone is zero. Throws {@link DurationError} otherwise.
 */
export function parseDuration(text: string): Duration {
  const s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return { milliseconds: 0 };
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) throw new DurationError(`invalid duration "${text}": expected a number with a unit (ns, us, ms, s, m, h), e.g. 1m30s`);
  let total = 0;
  for (const part of s.slice(m[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number.parseFloat(part[1]!) * unitMs[part[2]!]!;
  }
  return { milliseconds: m[1] === '-' ? -total : total };
}

/** Formats a duration the way Go prints it (`1h2m3.5s`, `150ms`, `0s`). */
export function formatDuration(d: Duration): string {
  let ms = d.milliseconds;
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  ms = Math.abs(ms);
  if (ms < 1_000) {
    if (ms >= 1) return `${sign}${trim(ms)}ms`;
    if (ms >= 1e-3) return `${sign}${trim(ms * 1e3)}µs`;
    return `${sign}${trim(ms * 1e6)}ns`;
  }
  const h = Math.floor(ms / 3_600_000);
  const min = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1_000;
  return `${sign}${h ? `${h}h` : ''}${h || min ? `${min}m` : ''}${trim(sec)}s`;
}

function trim(n: number): string {
  return String(Number.parseFloat(n.toFixed(9)));
}
