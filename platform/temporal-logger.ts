import { createHash } from 'node:crypto';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from './logger';

/**
 * The Temporal SDK's logger (worker, activity and workflow loggers, and the native core's lines,
 * forwarded) over our masking logger, so no SDK line bypasses the masking. Install it with
 * `Runtime.install` before anything opens a Temporal connection.
 *
 * Failures the SDK logs ("Activity failed", a failed workflow task) are the messages of errors
 * raised while working on an alert's subject, and they quote it (an AWS error names the user it
 * could not find). Masking catches what has a shape; a name has none. So their messages are
 * withheld from the log, fail-closed: the line keeps the error's type, a digest of the message (to
 * match repeats) and the stack frames, and the message itself is read where it is encrypted and
 * shown with the alert's free text withheld (the incident's timeline, the CLI, the Temporal UI
 * through the codec endpoint).
 */
const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

interface WithheldError {
  type: string;
  message: string;
  frames?: string;
}

function withheldError(err: { name?: string; type?: string; message?: string; stack?: string }): WithheldError {
  const message = String(err.message ?? '');
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
  return {
    type: err.type ?? err.name ?? 'Error',
    message: `[withheld: sha256 ${createHash('sha256').update(message).digest('hex').slice(0, 12)}]`,
    ...(frames ? { frames } : {}),
  };
}

const isErrorLike = (value: unknown): value is Error =>
  value instanceof Error || (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string');

function fields(meta: LogMetadata | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    // `error`, `failure`, `err`: whatever the SDK calls the failure it reports
    out[key] = isErrorLike(value) ? withheldError(value) : value;
  }
  return out;
}

export function temporalLogger(log: Logger): TemporalLogger {
  const child = log.child({ component: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => child[LEVELS[level] ?? 'info'](fields(meta), message);
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
