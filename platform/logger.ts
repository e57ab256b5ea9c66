import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Fields that may carry PHI or secrets are redacted wherever they appear,
 * so a careless log call cannot leak them.
 */
export function createLogger(level: string, name = 'tourniquet'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.raw', '*.payload', '*.patient', '*.authorization', '*.secret', '*.token', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
