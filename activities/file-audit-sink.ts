import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditSink } from './audit-sink';

/** Appends one JSON line per event. */
export function fileAuditSink(path: string): AuditSink {
  let ready: Promise<unknown> | undefined;
  return {
    async append(event) {
      ready ??= mkdir(dirname(path), { recursive: true });
      await ready;
      await appendFile(path, `${JSON.stringify(event)}\n`);
    },
  };
}
