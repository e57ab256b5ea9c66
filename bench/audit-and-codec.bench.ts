/**
 * Audit log append throughput (durable: lock + fsync per batch) for single events, batches and
 * concurrent writers, verify speed, and codec encode/decode throughput.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { chainLog, verifyAuditLog } from '../activities/audit';
import type { AuditEvent } from '../activities/audit-sink';
import { encryptionCodec } from '../platform/codec';

const event = (i: number): AuditEvent => ({
  id: `bench/${i}`,
  who: 'worker',
  what: 'incident.status',
  when: new Date().toISOString(),
  where: 'worker',
  why: { incident: 'incident/bench', step: 'step' },
  correlationId: 'incident/bench',
  details: { message: `containing → contained ${i}` },
});

async function timed(label: string, count: number, fn: () => Promise<void>): Promise<void> {
  const start = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${label.padEnd(46)} ${count} in ${ms.toFixed(0)} ms = ${((count / ms) * 1000).toFixed(0)}/s`);
}

export default async function bench(): Promise<void> {
  const path = join(mkdtempSync(join(tmpdir(), 'tq-bench-audit-')), 'audit.log');
  const log = chainLog({ path });
  let n = 0;
  await timed('audit append, one event per call (fsync each)', 500, async () => {
    for (let i = 0; i < 500; i++) await log.append(event(n++));
  });
  await timed('audit appendAll, batches of 50', 5_000, async () => {
    for (let b = 0; b < 100; b++) await log.appendAll(Array.from({ length: 50 }, () => event(n++)));
  });
  const writers = Array.from({ length: 8 }, () => chainLog({ path }));
  await timed('audit append, 8 concurrent sinks on one file', 800, async () => {
    await Promise.all(Array.from({ length: 800 }, (_, i) => writers[i % 8]!.append(event(n++))));
  });
  let records = 0;
  await timed('audit verify', n, async () => {
    const report = await verifyAuditLog(path);
    records = report.records;
    if (!report.intact) throw new Error('bench log does not verify');
  });
  console.log(`audit log records: ${records}`);

  const codec = encryptionCodec({ keys: [{ id: 'k', key: randomBytes(32) }], activeKeyId: 'k' });
  const payload = defaultPayloadConverter.toPayload({ alert: 'x'.repeat(2_000) })!;
  const payloads = Array.from({ length: 10_000 }, () => payload);
  let sealed = payloads;
  await timed('codec encode, 2 KB payloads', payloads.length, async () => void (sealed = await codec.encode(payloads)));
  await timed('codec decode, 2 KB payloads', payloads.length, async () => void (await codec.decode(sealed)));
}
