/**
 * A ledger that cannot be cut short unseen. The configured audit log anchors its head, signed with
 * a key kept apart from the data directory, every N records and every interval, in the evidence
 * store and beside the key. `audit verify` fails on each tampering a writer with access to the data
 * directory could try: a tail dropped, the chain rewritten and its anchors deleted, the log and its
 * anchors deleted, an anchor forged; an unanchored tail younger than the interval is only a note.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditLogFor } from '../../activities/audit';
import { anchorSigner, ANCHOR_PREFIX, readAnchors } from '../../activities/audit/anchors';
import { evidenceStoreFor } from '../../activities/evidence';
import { witnessFile } from '../../activities/audit/from-config';
import type { AuditEvent } from '../../activities/audit-sink';
import { describeAudit, verifyAudit } from '../../cli/commands/audit';
import { parseConfig, type Config } from '../../platform/config';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const event = (n: number): AuditEvent => ({
  id: `run/${n}`,
  who: 'worker',
  what: 'step.started',
  when: new Date(T0 + n * 1000).toISOString(),
  where: 'worker',
  why: { incident: 'incident/abc' },
  correlationId: 'incident/abc',
});

function setup(overrides: Record<string, unknown> = {}): { config: Config; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'tq-anchors-'));
  const config = parseConfig({ dataDir: join(root, 'data'), keyDir: join(root, 'keys'), codec: { keys: `k1:${randomBytes(32).toString('base64')}` }, audit: { anchorEvery: 10, anchorEverySeconds: 60 }, ...overrides });
  return { config, root };
}

async function ledger(config: Config, n: number): Promise<void> {
  const log = auditLogFor(config);
  for (let i = 1; i <= n; i++) await log.append(event(i));
  await log.close(); // a clean stop anchors the tail
}

const later = new Date(T0 + 3_600_000);
const logPath = (config: Config) => join(config.dataDir, 'audit.log');
const anchorFiles = (config: Config) => readdirSync(join(config.dataDir, 'evidence', ANCHOR_PREFIX)).map((f) => join(config.dataDir, 'evidence', ANCHOR_PREFIX, f));
const keep = (config: Config, n: number) => writeFileSync(logPath(config), readFileSync(logPath(config), 'utf8').split('\n').slice(0, n).join('\n') + '\n');

test('an intact ledger verifies against its signed anchors; the key is not in the data directory', async () => {
  const { config } = setup();
  await ledger(config, 25);
  const report = await verifyAudit(config, later);
  expect(report).toMatchObject({ intact: true, records: 25, anchored: { seq: 25, reason: 'close' } });
  expect(anchorFiles(config)).toHaveLength(3); // seq 10 and 20 by count, 25 at close
  expect(readdirSync(join(config.keyDir!))).toEqual(expect.arrayContaining(['audit-anchor.key']));
  expect(readdirSync(config.dataDir).join(' ')).not.toMatch(/key/);
  expect(describeAudit(report)).toMatch(/intact, 25 records.*anchored to seq 25/);
});

test('a tail dropped after its anchor: cut short', async () => {
  const { config } = setup();
  await ledger(config, 25);
  keep(config, 22); // three records cut from the tail, under the last count anchor's reach
  const report = await verifyAudit(config, later);
  expect(report.intact).toBe(false);
  expect(report.breaks.map((b) => b.problem).join('\n')).toMatch(/cut short: .* vouches for seq 25, the log ends at seq 22/);
});

test('the chain rewritten and re-sealed with its anchors deleted: the witness and the unanchored records tell', async () => {
  const { config } = setup();
  await ledger(config, 12);
  for (const f of anchorFiles(config)) unlinkSync(f);
  rmSync(logPath(config));
  // The forger writes a fresh, internally consistent chain (no signing key: no anchors).
  const { chainLog } = await import('../../activities/audit');
  const forger = chainLog({ path: logPath(config) });
  for (let i = 1; i <= 12; i++) await forger.append({ ...event(i), who: 'forger', id: `forged/${i}` });
  const problems = (await verifyAudit(config, later)).breaks.map((b) => b.problem).join('\n');
  expect(problems).toMatch(/rewritten: the witness beside the anchor key/);
  expect(problems).toMatch(/anchors missing: the witness's anchor of seq 12 is not in the evidence store/);
  expect(problems).toMatch(/unanchored: seq 1\.\.12/);
});

test('the chain rewritten while the witness is gone too: records older than the interval with no anchor fail', async () => {
  const { config } = setup();
  await ledger(config, 5);
  for (const f of anchorFiles(config)) unlinkSync(f);
  unlinkSync(witnessFile(config));
  const report = await verifyAudit(config, later);
  expect(report.intact).toBe(false);
  expect(report.breaks[0]!.problem).toMatch(/unanchored: seq 1\.\.5/);
});

test('the log and its anchors deleted: the witness says there was a ledger', async () => {
  const { config } = setup();
  await ledger(config, 15);
  rmSync(logPath(config));
  for (const f of anchorFiles(config)) unlinkSync(f);
  const report = await verifyAudit(config, later);
  expect(report.intact).toBe(false);
  expect(report.records).toBe(0);
  expect(report.breaks.map((b) => b.problem).join('\n')).toMatch(/cut short: .* vouches for seq 15, the log ends at seq 0/);
});

test('an anchor signed with another key is a forgery', async () => {
  const { config, root } = setup();
  await ledger(config, 3);
  const other = anchorSigner(join(root, 'other.key'));
  const forged = other.sign({ seq: 3, hash: 'f'.repeat(64), at: new Date(T0).toISOString(), reason: 'count', kid: other.kid });
  writeFileSync(join(config.dataDir, 'evidence', ANCHOR_PREFIX, '000000000003-1.json'), JSON.stringify(forged));
  const report = await verifyAudit(config, later);
  expect(report.breaks.map((b) => b.problem)).toContainEqual(expect.stringMatching(/not signed by the ledger's key/));
});

test('a tail younger than the anchor interval is noted, not failed', async () => {
  const { config } = setup();
  const log = auditLogFor(config);
  for (let i = 1; i <= 13; i++) await log.append(event(i)); // anchored at 10; 11..13 not yet (no close)
  const report = await verifyAudit(config, new Date(T0 + 20_000));
  expect(report).toMatchObject({ intact: true, anchored: { seq: 10 }, unanchored: { fromSeq: 11, toSeq: 13 } });
  expect(describeAudit(report)).toMatch(/seq 11\.\.13 not yet anchored/);
  // …and once the interval has long passed without an anchor, it is a break.
  expect((await verifyAudit(config, later)).intact).toBe(false);
});

test('while the ledger grows an anchor is taken by time, without reaching the count', async () => {
  const { config } = setup({ audit: { anchorEvery: 1000, anchorEverySeconds: 1 } });
  const log = auditLogFor(config);
  await log.append(event(1));
  await new Promise((r) => setTimeout(r, 1500));
  expect(await readAnchors(evidenceStoreFor(config))).toEqual([expect.objectContaining({ seq: 1, reason: 'time' })]);
});
