/**
 * The audit log: hash-chained, append-only, durable, one chain under concurrent writers (in one
 * process and across processes), repaired after a torn write, deduplicated by event id, PHI masked;
 * and `audit verify` says where a changed, removed, reordered or inserted record breaks the chain.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { auditCheckpoints, chainLog, readCheckpoints, verifyAuditLog, type AuditRecord } from '../../activities/audit';
import { singleEventId, type AuditEvent } from '../../activities/audit-sink';
import { localEvidenceStore } from '../../activities/evidence';
import { describeAudit, verifyAudit } from '../../cli/commands/audit';
import { parseConfig } from '../../platform/config';
import { storeKeys } from '../../platform/data-converter';

const dir = () => mkdtempSync(join(tmpdir(), 'tq-audit-'));
const event = (n: number, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  id: `run-1/${n}`,
  who: 'U1',
  what: 'approval.granted',
  when: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, n)).toISOString(),
  where: 'slack:U1',
  why: { incident: 'incident/abc', step: 'revoke', justification: `approved ${n}` },
  correlationId: 'incident/abc',
  ...extra,
});
const lines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');
const records = (path: string) => lines(path).map((l) => JSON.parse(l) as AuditRecord);

async function logWith(n: number): Promise<string> {
  const path = join(dir(), 'audit.log');
  const log = chainLog({ path });
  for (let i = 1; i <= n; i++) await log.append(event(i));
  return path;
}

test('records are chained: seq, prevHash, hash; the intact log verifies', async () => {
  const path = await logWith(5);
  const rs = records(path);
  expect(rs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  expect(rs[0]!.prevHash).toBe('0'.repeat(64));
  for (let i = 1; i < rs.length; i++) expect(rs[i]!.prevHash).toBe(rs[i - 1]!.hash);
  expect(rs[2]).toMatchObject({ who: 'U1', what: 'approval.granted', where: 'slack:U1', correlationId: 'incident/abc', when: '2025-01-01T00:00:00.003Z' });
  expect(await verifyAuditLog(path)).toMatchObject({ intact: true, records: 5, breaks: [] });
});

test('a changed record is found, and verify names its line', async () => {
  const path = await logWith(5);
  const ls = lines(path);
  ls[2] = ls[2]!.replace('approved 3', 'approved 9');
  writeFileSync(path, `${ls.join('\n')}\n`);
  const report = await verifyAuditLog(path);
  expect(report.intact).toBe(false);
  expect(report.breaks).toEqual([{ line: 3, seq: 3, problem: expect.stringMatching(/content altered/) }]);
});

test('a changed record with its hash recomputed still breaks the chain at the next record', async () => {
  const path = await logWith(4);
  const rs = records(path);
  const { hash: _old, ...rest } = { ...rs[1]!, who: 'someone-else' };
  const { recordHash } = await import('../../activities/audit/record');
  const forged = { ...rest, hash: recordHash(rest) };
  const { canonicalJson } = await import('../../platform/canonical-json');
  const ls = lines(path);
  ls[1] = canonicalJson(forged);
  writeFileSync(path, `${ls.join('\n')}\n`);
  const report = await verifyAuditLog(path);
  expect(report.breaks).toEqual([{ line: 3, seq: 3, problem: expect.stringMatching(/chain broken.*seq 2/) }]);
});

test('removed, reordered and inserted records are found where they happen', async () => {
  const path = await logWith(6);
  const ls = lines(path);

  writeFileSync(path, `${[...ls.slice(0, 2), ...ls.slice(3)].join('\n')}\n`); // seq 3 removed
  let report = await verifyAuditLog(path);
  expect(report.breaks[0]).toMatchObject({ line: 3, seq: 4, problem: expect.stringMatching(/seq 3 not found/) });

  writeFileSync(path, `${[ls[0], ls[2], ls[1], ...ls.slice(3)].join('\n')}\n`); // 2 and 3 swapped
  report = await verifyAuditLog(path);
  expect(report.breaks[0]).toMatchObject({ line: 2, seq: 3 });
  expect(report.breaks.map((b) => b.problem).join(' ')).toMatch(/out of order/);

  writeFileSync(path, `${[...ls.slice(0, 4), ls[1], ...ls.slice(4)].join('\n')}\n`); // seq 2 inserted again after 4
  report = await verifyAuditLog(path);
  expect(report.breaks[0]).toMatchObject({ line: 5, seq: 2, problem: expect.stringMatching(/out of order or duplicated/) });
});

test('a rewritten chain (every hash recomputed) disagrees with the checkpoints in the evidence store', async () => {
  const root = dir();
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const store = localEvidenceStore(join(root, 'evidence'), storeKeys(parseConfig({ codec: { keys } })));
  const path = join(root, 'audit.log');
  // Checkpoints as older versions wrote them (unsigned): still read and checked.
  const log = chainLog({ path, anchorEvery: 2, anchor: auditCheckpoints(store) });
  for (let i = 1; i <= 5; i++) await log.append(event(i));
  const checkpoints = await readCheckpoints(store);
  expect(checkpoints.map((c) => c.seq)).toEqual([2, 4]);
  // Rewrite history from seq 3 on, recomputing every hash so the chain itself is consistent.
  const kept = lines(path).slice(0, 2).join('\n') + '\n';
  writeFileSync(path, kept);
  const forger = chainLog({ path });
  for (let i = 3; i <= 5; i++) await forger.append(event(i, { who: 'forger', id: `forged/${i}` }));
  expect((await verifyAuditLog(path)).intact).toBe(true); // the chain alone cannot tell…
  const report = await verifyAuditLog(path, checkpoints); // …the checkpoints can
  expect(report.breaks).toEqual([{ line: 4, seq: 4, problem: expect.stringMatching(/rewritten/) }]);
  // and through the command: it reads the configured log and the configured store's checkpoints
  const cli = await verifyAudit(parseConfig({ dataDir: root, keyDir: join(root, 'keys'), codec: { keys } }));
  expect(cli.intact).toBe(false);
  expect(describeAudit(cli)).toMatch(/line 4 \(seq 4\): rewritten/);
});

test('many concurrent appenders in one process make one unbroken chain', async () => {
  const path = join(dir(), 'audit.log');
  const writers = Array.from({ length: 4 }, () => chainLog({ path })); // separate sinks, same file
  await Promise.all(Array.from({ length: 200 }, (_, i) => writers[i % 4]!.append(event(i + 1))));
  const report = await verifyAuditLog(path);
  expect(report).toMatchObject({ intact: true, records: 200 });
  expect(new Set(records(path).map((r) => r.id)).size).toBe(200);
});

test('a write that fails fails every append gathered into it, and nothing half-written is left', async () => {
  const parent = join(dir(), 'not-a-dir');
  writeFileSync(parent, 'a file where the log folder should be');
  const log = chainLog({ path: join(parent, 'audit.log') });
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.append(event(i + 1))));
  expect(results.every((r) => r.status === 'rejected')).toBe(true);
  expect(readFileSync(parent, 'utf8')).toBe('a file where the log folder should be');
});

test('concurrent appends to one sink share a write and an fsync; each returns once its own record is on disk', async () => {
  const path = join(dir(), 'audit.log');
  const log = chainLog({ path });
  const { open } = await import('node:fs/promises');
  const probe = await open(path, 'a');
  const FileHandle = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  const sync = jest.spyOn(FileHandle, 'sync');
  try {
    const onDisk: boolean[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.append(event(i + 1)).then(() => void onDisk.push(readFileSync(path, 'utf8').includes(`"run-1/${i + 1}"`)))),
    );
    expect(onDisk).toHaveLength(200);
    expect(onDisk.every(Boolean)).toBe(true);
    // One append starts a write; the other 199 gather behind it: a handful of fsyncs, not 200.
    expect(sync.mock.calls.length).toBeLessThan(10);
  } finally {
    sync.mockRestore();
  }
  expect(await verifyAuditLog(path)).toMatchObject({ intact: true, records: 200 });
  expect(records(path).map((r) => r.id)).toEqual(Array.from({ length: 200 }, (_, i) => `run-1/${i + 1}`));
});

test('several processes appending at once make one unbroken chain and lose nothing', async () => {
  const path = join(dir(), 'audit.log');
  const run = promisify(execFile);
  const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
  const script = join(__dirname, '..', 'support', 'audit-appender.ts');
  await Promise.all(['p1', 'p2', 'p3'].map((label) => run(tsx, [script, path, label, '40'])));
  const report = await verifyAuditLog(path);
  expect(report).toMatchObject({ intact: true, records: 120 });
  const byWriter = records(path).reduce<Record<string, number>>((n, r) => ({ ...n, [r.who]: (n[r.who] ?? 0) + 1 }), {});
  expect(byWriter).toEqual({ p1: 40, p2: 40, p3: 40 });
}, 60_000);

test('a torn last line (crash mid-write) is detected, then cut off by the next append without losing earlier records', async () => {
  const path = await logWith(3);
  const whole = readFileSync(path, 'utf8');
  appendFileSync(path, '{"correlationId":"incident/abc","details":{"mess'); // the crash
  expect((await verifyAuditLog(path)).breaks).toEqual([{ line: 4, problem: expect.stringMatching(/not terminated/) }]);
  const log = chainLog({ path });
  await log.append(event(4));
  expect(readFileSync(path, 'utf8').startsWith(whole)).toBe(true);
  expect(await verifyAuditLog(path)).toMatchObject({ intact: true, records: 4 });
  expect(readFileSync(`${path}.torn`, 'utf8')).toContain('offset');
});

test('a whole last record that only lost its newline is kept, not cut off as torn', async () => {
  const path = await logWith(3);
  const lastRecord = records(path)[2]!;
  writeFileSync(path, readFileSync(path, 'utf8').trimEnd()); // the newline removed by hand
  await chainLog({ path }).append(event(4));
  expect(records(path).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  expect(records(path)[2]).toEqual(lastRecord);
  expect(await verifyAuditLog(path)).toMatchObject({ intact: true, records: 4 });
  expect(existsSync(`${path}.torn`)).toBe(false);
});

test('a retried batch appends each event id once; distinct ids are all kept', async () => {
  const path = join(dir(), 'audit.log');
  const log = chainLog({ path });
  await log.appendAll([event(1), event(2)]);
  await log.appendAll([event(1), event(2), event(3)]); // the activity retried after a partial success
  await chainLog({ path }).appendAll([event(2), event(3), event(4)]); // another process retried it
  expect(records(path).map((r) => r.id)).toEqual(['run-1/1', 'run-1/2', 'run-1/3', 'run-1/4']);
  await log.append(event(9, { id: singleEventId('ingress') }));
  await log.append(event(9, { id: singleEventId('ingress') }));
  expect(records(path)).toHaveLength(6);
});

test('PHI is masked before it reaches the log: configured fields and PHI-shaped text', async () => {
  const path = join(dir(), 'audit.log');
  const log = chainLog({ path, sensitiveFields: ['memberId'] });
  await log.append(
    event(1, {
      why: { incident: 'incident/abc', justification: 'patient SSN 123-45-6789 seen in export' },
      details: { memberId: 'M-000777', patientName: 'Jane Roe', contact: 'jane.roe@example.org', kept: 'svc-export' },
    }),
  );
  const raw = readFileSync(path, 'utf8');
  for (const phi of ['123-45-6789', 'M-000777', 'Jane Roe', 'jane.roe@example.org']) expect(raw).not.toContain(phi);
  expect(records(path)[0]!.details).toEqual({ memberId: '[masked]', patientName: '[masked]', contact: '[email]', kept: 'svc-export' });
  expect((await verifyAuditLog(path)).intact).toBe(true);
});
