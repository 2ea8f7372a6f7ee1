import winston from 'winston';

export type Logger = winston.Logger;
import { SignatoryError } from '@signatory-ts/core';

/** Signatory's (logrus) levels, most severe first; `--log` takes one of these names. */
export const LOG_LEVELS = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;

export interface LoggerOptions {
  readonly level?: string;
  readonly json?: boolean;
  /** Where lines go (default stderr, as Go Signatory). */
  readonly stream?: NodeJS.WritableStream;
}

/** Field names whose values are never written, whatever a caller passes by mistake. */
const SECRET_FIELD = /secret|password|passphrase|private|token|credential|authorization/i;

const redact = winston.format((info) => {
  for (const k of Object.keys(info)) if (SECRET_FIELD.test(k)) info[k] = '[redacted]';
  return info;
});

/** logrus prints `warning`, not `warn`. */
const levelName = (l: string) => (l === 'warn' ? 'warning' : l);

/** logrus text quoting: bare when every character is safe, else a Go-quoted string. */
function textValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v instanceof Error ? v.message : Array.isArray(v) ? `[${v.join(' ')}]` : JSON.stringify(v);
  if (s !== undefined && s.length > 0 && /^[A-Za-z0-9\-._/@^+]+$/.test(s)) return s;
  return JSON.stringify(s ?? String(v));
}

const text = winston.format.printf((info) => {
  const { level, message, timestamp, ...fields } = info as { level: string; message: unknown; timestamp?: string } & Record<
    string,
    unknown
  >;
  let line = `time=${JSON.stringify(timestamp)} level=${levelName(level)} msg=${JSON.stringify(String(message))}`;
  for (const k of Object.keys(fields).sort()) line += ` ${k}=${textValue(fields[k])}`;
  return line;
});

const json = winston.format.printf((info) => {
  const { level, message, timestamp, ...fields } = info as { level: string; message: unknown; timestamp?: string } & Record<
    string,
    unknown
  >;
  return JSON.stringify({ level: levelName(level), msg: String(message), time: timestamp, ...fields });
});

/**
 * The logger of the daemon and the CLI: logrus's text format (`time="…" level=info msg="…"
 * key=value`, Go Signatory's) or, with --json-log, one JSON object a line with the fields at the top
 * level. Goes to stderr (the CLI's stdout carries only command output). Fields named like a secret
 * are written as `[redacted]`, whatever a caller passes by mistake.
 */
export function createLogger(options: LoggerOptions = {}): winston.Logger {
  const level = options.level ?? 'info';
  if (!(level in LOG_LEVELS)) {
    throw new SignatoryError('config_invalid', `--log must be one of ${Object.keys(LOG_LEVELS).join(', ')}, got ${JSON.stringify(level)}`);
  }
  return winston.createLogger({
    levels: LOG_LEVELS,
    level,
    format: winston.format.combine(redact(), winston.format.timestamp(), options.json ? json : text),
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stderr })],
  });
}

/**
 * Process warnings (Node's deprecations, the AWS SDK's Node version notice, …) as one log line each
 * through `logger`, instead of Node's multi-line text on stderr, which breaks `--json-log` output for
 * log shippers. Node's own printer is removed: call once, at start-up.
 */
export function logProcessWarnings(logger: winston.Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    const text = w.message.replace(/\s+/g, ' ').trim();
    logger.warn(text.startsWith(`${w.name}:`) || w.name === 'Warning' ? text : `${w.name}: ${text}`);
  });
}
