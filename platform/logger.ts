import { randomUUID } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import { maskText, maskValue, SENSITIVE_FIELDS } from '../domain/masking';

export type { Logger };

/**
 * Structured JSON logs. Every record goes through the one masking function (PHI-shaped text and
 * sensitive field names, wherever they appear), and the well-known secret paths are redacted on
 * top, so a careless log call cannot leak them.
 */
/**
 * `address` names network addresses in our own log lines (Temporal, the ingress); patient
 * addresses only arrive inside raw payloads, and `payload` / `raw` are masked whole.
 */
const LOG_SENSITIVE_FIELDS = SENSITIVE_FIELDS.filter((field) => field !== 'address');

/** Errors keep their type, message and stack (masked): maskValue alone would see no fields. */
function plainErrors(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] = value instanceof Error ? { type: (value as { type?: string }).type ?? value.name, message: maskText(value.message), stack: maskText(value.stack ?? '') } : value;
  }
  return out;
}

export function createLogger(level: string, name = 'tourniquet', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    // Masking and redaction both apply: `err` objects keep their stack, everything else is masked.
    formatters: { log: (record) => maskValue(plainErrors(record), LOG_SENSITIVE_FIELDS) },
    hooks: {
      logMethod(args, method) {
        // The message string is free text too.
        const masked = args.map((arg) => (typeof arg === 'string' ? maskValue(arg) : arg)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
    redact: {
      paths: ['*.raw', '*.payload', '*.patient', '*.authorization', '*.secret', '*.token', 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

const CORRELATION_ID = /^[\w.:-]{1,128}$/;

/**
 * The id that ties together the log lines of one request (and whatever it starts): the caller's
 * `X-Request-Id` when it is a sane token, otherwise a fresh one.
 */
export function correlationIdFrom(header: string | undefined): string {
  return header && CORRELATION_ID.test(header) ? header : randomUUID();
}
