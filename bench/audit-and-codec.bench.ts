/**
 * Audit log append throughput (durable: lock + fsync per batch) for single events, batches and
 * concurrent writers, verify speed, codec encode/decode throughput, and what encryption at rest
 * costs an evidence snapshot (the same snapshots written to the local store sealed and unsealed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { chainLog, verifyAuditLog } from '../activities/audit';
import type { AuditEvent } from '../activities/audit-sink';
import { localBlobStore, sealedStore, verifyIncidentEvidence, writeSnapshot, type EvidenceStore } from '../activities/evidence';
import { encryptionCodec } from '../platform/codec';
import { keyRing } from '../platform/key-ring';

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

  const keys = keyRing({ keys: [{ id: 'k', key: randomBytes(32) }], activeKeyId: 'k' });
  const root = () => mkdtempSync(join(tmpdir(), 'tq-bench-evidence-'));
  const sealedOnDisk = sealedStore(localBlobStore(root()), keys);
  const blobs = localBlobStore(root());
  const plainOnDisk: EvidenceStore = { location: blobs.location, put: async (k, b) => void (await blobs.create(k, b)), get: (k) => blobs.get(k), list: (p) => blobs.list(p) };
  const artifact = (i: number) => ({ name: `artifact-${i}`, collector: 'bench', source: 'bench', collectedAt: new Date().toISOString(), content: { json: { i, state: 'x'.repeat(20_000) } } });
  const custody = { collectedBy: 'bench', host: 'bench', at: new Date().toISOString(), why: { incident: 'incident/bench', step: 's' }, workflow: { id: 'w', runId: 'r' }, store: 'bench' };
  const snapshotMs: Record<string, number> = {};
  for (const [label, store] of [['unencrypted', plainOnDisk], ['encrypted', sealedOnDisk]] as const) {
    const start = process.hrtime.bigint();
    for (let s = 0; s < 20; s++) {
      await writeSnapshot(store, { incidentId: 'incident/bench', snapshotId: `snap-${s}`, createdAt: new Date().toISOString(), custody, artifacts: Array.from({ length: 10 }, (_, i) => artifact(i)) });
    }
    await verifyIncidentEvidence(store, 'incident/bench');
    snapshotMs[label] = Number(process.hrtime.bigint() - start) / 1e6;
  }
  console.log(
    `evidence: 20 snapshots of 10 × 20 KB, written and verified  unencrypted ${snapshotMs.unencrypted!.toFixed(0)} ms, encrypted ${snapshotMs.encrypted!.toFixed(0)} ms (×${(snapshotMs.encrypted! / snapshotMs.unencrypted!).toFixed(2)})`,
  );
}
