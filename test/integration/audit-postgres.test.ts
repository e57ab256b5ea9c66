/**
 * The shared audit ledger on a real PostgreSQL server (scripts/ensure-postgres): one chain for
 * every process, appends serialised by the database, each event id once, a retried batch harmless,
 * the writer unable to change history, the database going away and coming back without a record
 * lost or doubled; and `audit verify` — run from a read-only role with only the anchors' public
 * key — reports an edited, deleted or re-sealed row as it does for the file.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { auditLogFor } from '../../activities/audit';
import { publicKeyPem } from '../../activities/audit/anchors';
import { anchorKeyPath } from '../../activities/audit/from-config';
import { postgresLog } from '../../activities/audit/postgres-log';
import type { AuditEvent } from '../../activities/audit-sink';
import { describeAudit, verifyAudit } from '../../cli/commands/audit';
import { parseConfig, type Config } from '../../platform/config';
import { asOwner, startPostgres, type TestDatabase, type TestPostgres } from '../support/postgres';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pg?.teardown();
});

const T0 = Date.parse('2026-12-01T10:00:00Z');
const later = new Date(T0 + 3_600_000);
const event = (n: number, label = 'run'): AuditEvent => ({
  id: `${label}/${n}`,
  who: 'worker',
  what: 'step.started',
  when: new Date(T0 + n * 1000).toISOString(),
  where: 'worker',
  why: { incident: 'incident/abc', justification: `step ${n}` },
  correlationId: 'incident/abc',
});

/** A writer's settings on a database of its own; the examiner's are the same minus the signing key. */
function setup(db: TestDatabase, overrides: Record<string, unknown> = {}): { writer: Config; examiner: Config } {
  const root = mkdtempSync(join(tmpdir(), 'tq-pgaudit-'));
  const codec = { keys: `k1:${randomBytes(32).toString('base64')}` };
  const base = { keyDir: join(root, 'keys'), codec, evidence: { dir: join(root, 'evidence') }, audit: { anchorEvery: 10, anchorEverySeconds: 60 } };
  const writer = parseConfig({ ...base, dataDir: join(root, 'writer'), ...overrides, audit: { ...base.audit, postgres: { url: db.writerUrl } } });
  return {
    writer,
    examiner: parseConfig({ ...base, dataDir: join(root, 'examiner'), keyDir: join(root, 'examiner-keys'), audit: { ...base.audit, postgres: { url: db.readerUrl } } }),
  };
}

/** The shared key, made once (as an operator would) and given to the writer; the examiner gets its public half. */
function provisionKey({ writer, examiner }: { writer: Config; examiner: Config }): Config {
  const { generateKeyPairSync } = require('node:crypto') as typeof import('node:crypto');
  const { mkdirSync } = require('node:fs') as typeof import('node:fs');
  const path = anchorKeyPath(writer);
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(path, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  const pub = join(examiner.dataDir, 'anchor.pub');
  mkdirSync(examiner.dataDir, { recursive: true });
  writeFileSync(pub, publicKeyPem(path));
  return { ...examiner, audit: { ...examiner.audit, anchorPublicKeyPath: pub } };
}

async function ledger(db: TestDatabase, n: number): Promise<{ writer: Config; examiner: Config }> {
  const configs = setup(db);
  const examiner = provisionKey(configs);
  const log = auditLogFor(configs.writer);
  for (let i = 1; i <= n; i += 5) await log.appendAll(Array.from({ length: Math.min(5, n - i + 1) }, (_, k) => event(i + k)));
  await log.close();
  return { writer: configs.writer, examiner };
}

async function tamper(db: TestDatabase, statement: string): Promise<void> {
  // The append-only trigger stops even the owner; an intruder with superuser rights turns it off.
  await asOwner(db.adminUrl, `ALTER TABLE tourniquet_audit DISABLE TRIGGER tourniquet_audit_append_only; ${statement}; ALTER TABLE tourniquet_audit ENABLE TRIGGER tourniquet_audit_append_only`);
}

test('a writer without the shared anchor key is refused at start, naming the setting', async () => {
  const { writer } = setup(await pg.database());
  expect(() => auditLogFor(writer)).toThrow(/audit\.anchorKeyPath \(TOURNIQUET_AUDIT_ANCHOR_KEY\): no anchor signing key .* the same key on every process/);
});

test('the writer may insert and read, never update or delete; the reader may only read; the owner is stopped by the trigger', async () => {
  const db = await pg.database();
  const { examiner } = await ledger(db, 3);
  await expect(asOwner(db.writerUrl, `UPDATE tourniquet_audit SET record = 'x' WHERE seq = 1`)).rejects.toThrow(/permission denied/);
  await expect(asOwner(db.writerUrl, `DELETE FROM tourniquet_audit WHERE seq = 3`)).rejects.toThrow(/permission denied/);
  await expect(asOwner(db.readerUrl, `INSERT INTO tourniquet_audit (seq, prev_hash, hash, record) VALUES (4, repeat('0', 64), repeat('1', 64), '{}')`)).rejects.toThrow(/permission denied/);
  await expect(asOwner(db.adminUrl, `DELETE FROM tourniquet_audit WHERE seq = 3`)).rejects.toThrow(/append-only: DELETE refused/);
  // The examiner verifies with SELECT and the public key alone.
  const report = await verifyAudit(examiner, later);
  expect(report).toMatchObject({ intact: true, records: 3, anchored: { seq: 3 } });
  expect(describeAudit(report)).toMatch(/^postgres:\/\/tq_reader@127\.0\.0\.1:\d+\/ledger_\d+ \(table tourniquet_audit\): intact, 3 records/);
});

test('a row edited is reported by verify, with its row and seq', async () => {
  const db = await pg.database();
  const { examiner } = await ledger(db, 12);
  await tamper(db, `UPDATE tourniquet_audit SET record = replace(record, 'step 4', 'step 9') WHERE seq = 4`);
  const report = await verifyAudit(examiner, later);
  expect(report.intact).toBe(false);
  expect(report.breaks).toEqual([{ line: 4, seq: 4, problem: expect.stringMatching(/content altered/) }]);
  expect(describeAudit(report)).toMatch(/row 4 \(seq 4\): content altered/);
});

test('a row deleted is reported as records missing; a column edited apart from its record is reported too', async () => {
  const db = await pg.database();
  const { examiner } = await ledger(db, 12);
  await tamper(db, `DELETE FROM tourniquet_audit WHERE seq = 7`);
  await tamper(db, `UPDATE tourniquet_audit SET event_id = 'run/99' WHERE seq = 2`);
  const problems = (await verifyAudit(examiner, later)).breaks.map((b) => b.problem).join('\n');
  expect(problems).toMatch(/records missing: seq 7 not found before seq 8/);
  expect(problems).toMatch(/column\(s\) event_id of the row with seq 2 disagree with its record/);
});

test('the tail cut and re-sealed by someone without the key: the signed anchors tell', async () => {
  const db = await pg.database();
  const { examiner } = await ledger(db, 20);
  await tamper(db, `DELETE FROM tourniquet_audit WHERE seq > 14`);
  // The forger appends a consistent tail of its own (it can seal records, not sign anchors).
  const forger = postgresLog({ url: db.writerUrl });
  await forger.appendAll([15, 16, 17].map((n) => ({ ...event(n, 'forged'), who: 'forger' })));
  await forger.close();
  const problems = (await verifyAudit(examiner, later)).breaks.map((b) => b.problem).join('\n');
  expect(problems).toMatch(/rewritten: the anchor .* holds another hash for seq 20|cut short: .* vouches for seq 20, the log ends at seq 17/);
});

test('processes appending at once make one chain: no gap, no duplicate, every event once', async () => {
  const db = await pg.database();
  const run = promisify(execFile);
  const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
  const script = join(__dirname, '..', 'support', 'audit-appender.ts');
  await Promise.all(['p1', 'p2', 'p3'].map((label) => run(tsx, [script, db.writerUrl, label, '40'])));
  const { rows } = await asOwner(db.adminUrl, `SELECT seq, record FROM tourniquet_audit ORDER BY seq`);
  expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  const who = rows.map((r) => (JSON.parse(String(r.record)) as AuditEvent).who);
  expect(['p1', 'p2', 'p3'].map((p) => who.filter((w) => w === p).length)).toEqual([40, 40, 40]);
  const { examiner } = setup(db);
  const report = await verifyAudit({ ...examiner, audit: { ...examiner.audit, anchorEverySeconds: 3600 } }, new Date());
  expect(report).toMatchObject({ intact: true, records: 120 });
}, 90_000);

test('a batch retried, by this process or another, is appended once', async () => {
  const db = await pg.database();
  const a = postgresLog({ url: db.writerUrl });
  const b = postgresLog({ url: db.writerUrl });
  await a.appendAll([event(1), event(2), event(3)]);
  await Promise.all([a.appendAll([event(2), event(3), event(4)]), b.appendAll([event(3), event(4), event(5)])]);
  await Promise.all([a.close(), b.close()]);
  const { rows } = await asOwner(db.adminUrl, `SELECT event_id FROM tourniquet_audit ORDER BY seq`);
  expect(rows.map((r) => r.event_id)).toEqual(['run/1', 'run/2', 'run/3', 'run/4', 'run/5']);
});

test('PostgreSQL down mid-storm: appends fail while it is gone, succeed when it is back; nothing lost, nothing twice', async () => {
  const db = await pg.database();
  const writers = [postgresLog({ url: db.writerUrl }), postgresLog({ url: db.writerUrl })];
  const failures: string[] = [];
  // Each caller retries until its batch is on the ledger, as the workflow's audit activity does.
  const appendUntilDone = async (n: number) => {
    const batch = [event(n, 'storm'), event(n + 1000, 'storm')];
    for (;;) {
      try {
        return await writers[n % 2]!.appendAll(batch);
      } catch (err) {
        failures.push((err as Error).message);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const storm: Promise<void>[] = [];
  for (let n = 1; n <= 60; n++) {
    storm.push(appendUntilDone(n));
    if (n === 20) await pg.stop('immediate');
    if (n === 40) await pg.start();
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(storm);
  await Promise.all(writers.map((w) => w.close()));
  expect(failures.length).toBeGreaterThan(0); // the database really was gone
  const { rows } = await asOwner(db.adminUrl, `SELECT seq, event_id FROM tourniquet_audit ORDER BY seq`);
  expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  expect(new Set(rows.map((r) => r.event_id)).size).toBe(120);
  const { examiner } = setup(db);
  // (no anchors: these writers have no key; the records are young enough not to need one yet)
  const report = await verifyAudit({ ...examiner, audit: { ...examiner.audit, anchorEverySeconds: 3600 } }, new Date(T0 + 60_000));
  expect(report).toMatchObject({ intact: true, records: 120, breaks: [] });
}, 120_000);
