/**
 * The one logger every controller uses: winston, JSON lines with the keys `flux logs`
 * understands (ts, level, logger, msg, error, controllerKind, name, namespace, reconcileID),
 * or a readable console encoding for development. Userinfo in URLs is removed from every line.
 */
import winston from 'winston';
import { redactUrls } from './redact.ts';

/** A structured logger; `child()` adds fields (controllerKind, name, namespace, reconcileID). */
export type Logger = winston.Logger;

/** Log levels as Flux's `--log-level` names them. */
export const logLevels = ['trace', 'debug', 'info', 'error'] as const;
/** One of {@link logLevels}. */
export type LogLevel = (typeof logLevels)[number];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  encoding: 'json' | 'console';
  /** The component name, written as `logger` (e.g. `source-controller`). */
  name: string;
  /** Where lines go; stderr by default. */
  stream?: NodeJS.WritableStream;
}

const levels = { error: 0, info: 1, debug: 2, trace: 3 };

/** Turns winston's record into Flux's key order and names; errors become their message. */
const fluxShape = winston.format((info) => {
  const { level, message, timestamp, ...rest } = info as Record<string, unknown> & { level: string; message: unknown; timestamp?: string };
  const out: Record<string | symbol, unknown> = { ts: timestamp ?? new Date().toISOString(), level };
  if (rest['logger'] !== undefined) out['logger'] = rest['logger'];
  out['msg'] = typeof message === 'string' ? redactUrls(message) : message;
  for (const [k, v] of Object.entries(rest)) {
    if (k === 'logger' || k === 'splat') continue;
    if (k === 'error') out[k] = redactUrls(v instanceof Error ? v.message : String(v));
    else out[k] = typeof v === 'string' ? redactUrls(v) : v;
  }
  for (const sym of Object.getOwnPropertySymbols(info)) out[sym] = (info as Record<symbol, unknown>)[sym];
  return out as winston.Logform.TransformableInfo;
});

/** JSON of a log record that never throws (cycles and bigints are written as text). */
function toJson(info: winston.Logform.TransformableInfo): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(info, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value && typeof value === 'object') {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  });
}

/** Creates the process' logger. */
export function createLogger(opts: LoggerOptions): Logger {
  const format =
    opts.encoding === 'json'
      ? // JSON.stringify keeps Flux's key order (winston's json format sorts keys).
        winston.format.combine(winston.format.timestamp(), fluxShape(), winston.format.printf(toJson))
      : winston.format.combine(
          winston.format.timestamp(),
          fluxShape(),
          winston.format.printf((i) => {
            const { ts, level, msg, logger, ...rest } = i as Record<string, unknown>;
            const fields = Object.entries(rest)
              .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
              .join(' ');
            return `${String(ts)} ${String(level).toUpperCase()} ${String(logger ?? '')} ${String(msg)}${fields ? ` ${fields}` : ''}`;
          }),
        );
  return winston.createLogger({
    levels,
    level: opts.level,
    defaultMeta: { logger: opts.name },
    format,
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stderr })],
  });
}
