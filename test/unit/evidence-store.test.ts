/**
 * Evidence in the local write-once store: artifacts and manifests are hashed (over the plaintext),
 * encrypted at rest with the codec's keys, owner-only and read-only, and never overwritten;
 * `evidence verify` decrypts and recomputes everything and tells intact from altered from missing
 * (exit 0, 1, 2) when one byte of any artifact or manifest changes, a file disappears, or the
 * configured key is not the one that wrote it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chainLog } from '../../activities/audit';
import {
  auditLogPath,
  EvidenceConflictError,
  evidenceStoreFor,
  localEvidenceStore,
  SNAPSHOT_EVENT,
  writeSnapshot,
  type CollectedArtifact,
  type EvidenceStore,
} from '../../activities/evidence';
import { verifyEvidence } from '../../cli/commands/evidence';
import { seal } from '../../platform/at-rest';
import { parseConfig, type Config } from '../../platform/config';
import { storeKeys } from '../../platform/data-converter';
import { cliArgs } from '../support/cli';

const INCIDENT = 'incident/fp-evidence';
const at = '2025-03-01T10:00:00.000Z';
const artifacts = (n: string): CollectedArtifact[] => [
  { name: 'incident-state', collector: 'incident.state', source: INCIDENT, collectedAt: at, content: { json: { status: 'containing', n } } },
  { name: 'incident-timeline', collector: 'incident.timeline', source: INCIDENT, collectedAt: at, content: { json: [{ kind: 'incident.opened', n }] } },
  { name: 'raw-alert-1', collector: 'raw-alert', source: 'raw/generic/abc', collectedAt: at, content: { bytes: Buffer.from('{"b":1,  "a":2}') } },
];
const custody = (step: string) => ({
  collectedBy: 'tourniquet worker 1',
  host: 'test',
  at,
  why: { incident: INCIDENT, step },
  workflow: { id: `playbook/fp-evidence/${step}`, runId: 'r1' },
  store: 'file:///test',
});

const codecKeys = (...ids: string[]) => ids.map((id) => `${id}:${randomBytes(32).toString('base64')}`).join(',');

/** Two snapshots, anchored in the audit log as the activity does. */
async function twoSnapshots(keys = codecKeys('k1')): Promise<{ config: Config; store: EvidenceStore; root: string }> {
  const root = mkdtempSync(join(tmpdir(), 'tq-evidence-'));
  const config = parseConfig({ dataDir: root, codec: { keys, activeKeyId: keys.split(',').pop()!.split(':')[0] } });
  const store = evidenceStoreFor(config);
  const audit = chainLog({ path: auditLogPath(config) });
  for (const [i, step] of ['before', 'after'].entries()) {
    const written = await writeSnapshot(store, { incidentId: INCIDENT, snapshotId: `${step}-r${i}`, createdAt: `2025-03-01T10:0${i}:00.000Z`, custody: custody(step), artifacts: artifacts(step) });
    await audit.append({ id: `evidence/${INCIDENT}/${step}`, who: 'worker', what: SNAPSHOT_EVENT, when: at, where: 'test', why: { incident: INCIDENT, step }, correlationId: INCIDENT, details: { snapshotId: written.manifest.snapshotId, manifestHash: written.manifestHash } });
  }
  return { config, store, root: join(root, 'evidence') };
}

/** A manifest's plaintext, read through the store (on disk it is ciphertext). */
async function manifestOf(store: EvidenceStore, snapshot: string) {
  return JSON.parse(Buffer.from((await store.get(`incidents/fp-evidence/${snapshot}/manifest.json`))!).toString());
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...filesUnder(join(dir, e.name))] : [join(dir, e.name)]));
}

/** Change one byte of a read-only file, as someone with enough rights could. */
function flipByte(path: string, offset = 10): void {
  chmodSync(path, 0o644);
  const bytes = readFileSync(path);
  bytes[offset] = bytes[offset]! ^ 0x01;
  writeFileSync(path, bytes);
}

test('a snapshot is stored write-once and read-only, with hashes, a Merkle root, custody and a link to the previous manifest', async () => {
  const { config, store, root } = await twoSnapshots();
  const keys = await store.list('incidents/fp-evidence/');
  expect(keys.filter((k) => k.endsWith('manifest.json'))).toHaveLength(2);
  const after = JSON.parse(Buffer.from((await store.get('incidents/fp-evidence/after-r1/manifest.json'))!).toString());
  expect(after.artifacts).toHaveLength(3);
  expect(after.artifacts[0]).toEqual(expect.objectContaining({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number), collector: 'incident.state', collectedAt: at }));
  expect(after.merkleRoot).toMatch(/^[0-9a-f]{64}$/);
  expect(after.custody.why).toEqual({ incident: INCIDENT, step: 'after' });
  expect(after.previous).toEqual({ snapshotId: 'before-r0', manifestHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  // raw payload bytes are kept exactly as received
  const raw = after.artifacts.find((a: { name: string }) => a.name === 'raw-alert-1');
  expect(Buffer.from((await store.get(raw.key))!).toString()).toBe('{"b":1,  "a":2}');
  for (const key of keys) expect(statSync(join(root, key)).mode & 0o777).toBe(0o400);
  for (const path of filesUnder(root)) if (statSync(path).isDirectory()) expect(statSync(path).mode & 0o777).toBe(0o700);
  expect(statSync(root).mode & 0o777).toBe(0o700);
  await expect(store.put(keys[0]!, Buffer.from('other'))).rejects.toThrow(EvidenceConflictError);
  await store.put(raw.key, Buffer.from('{"b":1,  "a":2}')); // the same bytes again: a retry, fine
  expect((await verifyEvidence(config, INCIDENT)).status).toBe('intact');
});

test('on disk every object is ciphertext under the active key; hashes in the manifest are of the plaintext', async () => {
  const { store, root } = await twoSnapshots();
  const after = await manifestOf(store, 'after-r1');
  for (const path of filesUnder(root).filter((p) => statSync(p).isFile())) {
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 4).toString()).toBe('TQE1');
    expect(bytes.includes(Buffer.from('containing'))).toBe(false);
    expect(bytes.includes(Buffer.from('"b":1'))).toBe(false);
    expect(bytes.includes(Buffer.from('incident.state'))).toBe(false);
  }
  const raw = after.artifacts.find((a: { name: string }) => a.name === 'raw-alert-1');
  const { sha256Hex } = await import('../../platform/canonical-json');
  expect(raw.sha256).toBe(sha256Hex('{"b":1,  "a":2}'));
  expect(raw.size).toBe(15);
});

test('after a key rotation (new key active, old one kept) old evidence verifies and new evidence uses the new key', async () => {
  const keys = codecKeys('old');
  const { config, root } = await twoSnapshots(keys);
  const rotated = parseConfig({ ...config, codec: { keys: `${keys},${codecKeys('new')}`, activeKeyId: 'new' } });
  expect((await verifyEvidence(rotated, INCIDENT)).status).toBe('intact');
  await evidenceStoreFor(rotated).put('incidents/fp-evidence/later/artifacts/x', Buffer.from('{}'));
  expect(readFileSync(join(root, 'incidents/fp-evidence/later/artifacts/x')).toString('latin1')).toContain('"kid":"new"');
  // Dropping the old key too early: its evidence no longer decrypts, and says why.
  const dropped = parseConfig({ ...config, codec: { keys: codecKeys('new') } });
  const check = await verifyEvidence(dropped, INCIDENT);
  expect(check.status).toBe('altered');
  expect(check.snapshots[0]!.problems).toEqual([expect.stringMatching(/key is not configured here/)]);
});

test('a wrong key (same id, other bytes) and a changed ciphertext byte are both altered, and told apart', async () => {
  const { config, store, root } = await twoSnapshots();
  const wrongKey = parseConfig({ ...config, codec: { keys: codecKeys('k1') } });
  const check = await verifyEvidence(wrongKey, INCIDENT);
  expect(check.status).toBe('altered');
  expect(check.snapshots.every((s) => s.manifest === 'altered' && /wrong key/.test(s.problems.join()))).toBe(true);

  const manifest = await manifestOf(store, 'before-r0');
  const entry = manifest.artifacts.find((a: { name: string }) => a.name === 'incident-state');
  const path = join(root, entry.key);
  flipByte(path, readFileSync(path).length - 20); // inside the ciphertext
  const changed = await verifyEvidence(config, INCIDENT);
  expect(changed.status).toBe('altered');
  expect(changed.snapshots.find((s) => s.snapshotId === 'before-r0')!.artifacts.find((a) => a.name === 'incident-state')).toMatchObject({
    status: 'altered',
    problem: expect.stringMatching(/ciphertext changed/),
  });
});

test('an object moved to another name does not open there (its name is authenticated)', async () => {
  const { config, store, root } = await twoSnapshots();
  const before = await manifestOf(store, 'before-r0');
  const [a, b] = [before.artifacts[0], before.artifacts[1]].map((x: { key: string }) => join(root, x.key));
  const aside = `${a}.aside`;
  renameSync(a!, aside);
  renameSync(b!, a!);
  renameSync(aside, b!);
  const check = await verifyEvidence(config, INCIDENT);
  expect(check.snapshots.find((s) => s.snapshotId === 'before-r0')!.artifacts.slice(0, 2).map((x) => x.status)).toEqual(['altered', 'altered']);
});

test('rewriting a snapshot that exists returns it unchanged (retried activity)', async () => {
  const { store } = await twoSnapshots();
  const again = await writeSnapshot(store, { incidentId: INCIDENT, snapshotId: 'before-r0', createdAt: at, custody: custody('before'), artifacts: artifacts('different') });
  expect(again.manifest.artifacts[0]!.sha256).not.toBe(undefined);
  expect(again.manifest.createdAt).toBe('2025-03-01T10:00:00.000Z');
});

test.each(['incident-state', 'incident-timeline', 'raw-alert-1'])('one changed byte in artifact %s is reported as altered', async (name) => {
  const { config, store, root } = await twoSnapshots();
  const manifest = await manifestOf(store, 'before-r0');
  flipByte(join(root, manifest.artifacts.find((a: { name: string }) => a.name === name).key), 3);
  const check = await verifyEvidence(config, INCIDENT);
  expect(check.status).toBe('altered');
  const before = check.snapshots.find((s) => s.snapshotId === 'before-r0')!;
  expect(before.artifacts.filter((a) => a.status !== 'intact')).toEqual([expect.objectContaining({ name, status: 'altered' })]);
  expect(check.snapshots.find((s) => s.snapshotId === 'after-r1')!.artifacts.every((a) => a.status === 'intact')).toBe(true);
});

test.each([3, 10, 120, 250, 400])('one changed byte of a manifest (offset %i) is reported as altered', async (offset) => {
  const { config, root } = await twoSnapshots();
  flipByte(join(root, 'incidents/fp-evidence/before-r0/manifest.json'), offset);
  const check = await verifyEvidence(config, INCIDENT);
  expect(check.status).toBe('altered');
  expect(check.snapshots.find((s) => s.snapshotId === 'before-r0')!.manifest).toBe('altered');
});

test('a manifest rewritten consistently by someone holding the key (artifact replaced, hashes and Merkle root recomputed) is still caught by its anchors', async () => {
  const { config, store, root } = await twoSnapshots();
  const { canonicalJson, sha256Hex } = await import('../../platform/canonical-json');
  const { merkleRoot } = await import('../../activities/evidence/merkle');
  const keys = storeKeys(config);
  const key = 'incidents/fp-evidence/after-r1/manifest.json';
  const manifest = await manifestOf(store, 'after-r1');
  const forged = '{"status":"nothing happened"}';
  const entry = manifest.artifacts[0];
  chmodSync(join(root, entry.key), 0o644);
  writeFileSync(join(root, entry.key), await seal(keys, Buffer.from(forged), entry.key));
  Object.assign(entry, { sha256: sha256Hex(forged), size: forged.length });
  manifest.merkleRoot = merkleRoot(manifest.artifacts);
  chmodSync(join(root, key), 0o644);
  writeFileSync(join(root, key), await seal(keys, Buffer.from(canonicalJson(manifest)), key));
  const check = await verifyEvidence(config, INCIDENT);
  expect(check.status).toBe('altered');
  expect(check.snapshots.find((s) => s.snapshotId === 'after-r1')!.problems).toEqual([expect.stringMatching(/audit log/)]);
});

test('a deleted artifact or manifest is reported as missing', async () => {
  const { config, store, root } = await twoSnapshots();
  const manifest = await manifestOf(store, 'after-r1');
  unlinkSync(join(root, manifest.artifacts[1].key));
  let check = await verifyEvidence(config, INCIDENT);
  expect(check.status).toBe('missing');
  expect(check.snapshots.find((s) => s.snapshotId === 'after-r1')!.artifacts[1]!.status).toBe('missing');
  unlinkSync(join(root, 'incidents/fp-evidence/before-r0/manifest.json'));
  check = await verifyEvidence(config, INCIDENT);
  expect(check.snapshots.find((s) => s.snapshotId === 'before-r0')!.manifest).toBe('missing');
});

test('`tourniquet evidence verify` exits 0 intact, 1 altered, 2 missing', async () => {
  const { config, store, root } = await twoSnapshots();
  const run = () =>
    promisify(execFile)(...cliArgs(['evidence', 'verify', 'fp-evidence']), { env: { ...process.env, TOURNIQUET_DATA_DIR: config.dataDir, TOURNIQUET_CODEC_KEYS: config.codec.keys.map((k) => `${k.id}:${k.key}`).join(',') } }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
  expect(await run()).toEqual({ code: 0, out: expect.stringContaining('INTACT') });
  const manifest = await manifestOf(store, 'before-r0');
  unlinkSync(join(root, manifest.artifacts[2].key));
  expect(await run()).toEqual({ code: 2, out: expect.stringMatching(/missing\s+raw-alert-1/) });
  flipByte(join(root, manifest.artifacts[0].key), 2);
  expect(await run()).toEqual({ code: 1, out: expect.stringMatching(/altered\s+incident-state/) });
}, 60_000);

test('local store keys cannot escape the evidence directory', async () => {
  const store = localEvidenceStore(mkdtempSync(join(tmpdir(), 'tq-evidence-')), storeKeys(parseConfig({ codec: { keys: codecKeys('k1') } })));
  await expect(store.put('../outside', Buffer.from('x'))).rejects.toThrow(/not a valid evidence key/);
  await expect(store.put('/etc/passwd', Buffer.from('x'))).rejects.toThrow(/not a valid evidence key/);
});
