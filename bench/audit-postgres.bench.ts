/**
 * The shared audit ledger on PostgreSQL: appends/s from two writers (each with its own connection
 * pool, as two worker processes have), one event per call and in batches, next to the file ledger
 * measured in the same run (the ratio: what sharing the chain across machines costs). A real
 * server from scripts/ensure-postgres, on this machine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainLog, type ChainLog } from '../activities/audit';
import { postgresLog } from '../activities/audit/postgres-log';
import type { AuditEvent } from '../activities/audit-sink';
import { startPostgres } from '../test/support/postgres';

let n = 0;
const event = (): AuditEvent => ({
  id: `bench/${n++}`,
  who: 'worker',
  what: 'incident.status',
  when: new Date().toISOString(),
  where: 'worker',
  why: { incident: 'incident/bench', step: 'step' },
  correlationId: 'incident/bench',
});

/** Two writers at once; returns events per second. */
async function rate(writers: ChainLog[], calls: number, batch: number): Promise<number> {
  const start = performance.now();
  await Promise.all(
    writers.map(async (w) => {
      for (let i = 0; i < calls; i++) await (batch === 1 ? w.append(event()) : w.appendAll(Array.from({ length: batch }, event)));
    }),
  );
  return (writers.length * calls * batch * 1000) / (performance.now() - start);
}

export default async function bench(): Promise<void> {
  const pg = await startPostgres();
  try {
    const db = await pg.database('bench');
    const shared = [postgresLog({ url: db.writerUrl }), postgresLog({ url: db.writerUrl })];
    const path = join(mkdtempSync(join(tmpdir(), 'tq-bench-pgaudit-')), 'audit.log');
    const file = [chainLog({ path }), chainLog({ path })];
    const rows: [string, number, number][] = [];
    for (const [label, calls, batch] of [
      ['one event per call', 200, 1],
      ['batches of 50', 20, 50],
    ] as const) {
      const onPg = await rate(shared, calls, batch);
      const onFile = await rate(file, calls, batch);
      rows.push([label, onPg, onFile]);
    }
    for (const [label, onPg, onFile] of rows) {
      console.log(`audit appends, 2 writers, ${label.padEnd(20)} postgres ${onPg.toFixed(0).padStart(6)}/s   file ${onFile.toFixed(0).padStart(6)}/s   (postgres ×${(onPg / onFile).toFixed(2)} of the file)`);
    }
    await Promise.all([...shared, ...file].map((w) => w.close()));
  } finally {
    await pg.teardown();
  }
}
