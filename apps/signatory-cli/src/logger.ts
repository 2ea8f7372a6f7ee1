import winston from 'winston';
import { SignatoryError } from '@signatory-ts/core';

/** Signatory's level names (logrus), most severe first; `--log` takes one of them. */
export const LOG_LEVELS = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;

export interface LogOptions {
  log?: string;
  jsonLog?: boolean;
}

/**
 * The CLI's logger: everything goes to stderr so stdout carries only command output. Text lines
 * look like `level=info msg="…" key=value`; `--json-log` gives one JSON object a line. Callers
 * never pass secrets (passwords, private keys, AWS secret keys) as message or field.
 */
export function createLogger(options: LogOptions = {}): winston.Logger {
  const level = options.log ?? 'info';
  if (!(level in LOG_LEVELS)) {
    throw new SignatoryError('bad_request', `--log must be one of ${Object.keys(LOG_LEVELS).join(', ')}, got ${JSON.stringify(level)}`);
  }
  const text = winston.format.printf(({ level: l, message, timestamp: _t, ...fields }) => {
    const extra = Object.entries(fields)
      .map(([k, v]) => ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join('');
    return `level=${l} msg=${JSON.stringify(String(message))}${extra}`;
  });
  return winston.createLogger({
    levels: LOG_LEVELS,
    level,
    format: options.jsonLog ? winston.format.json() : text,
    transports: [new winston.transports.Stream({ stream: process.stderr })],
  });
}
