/**
 * Against moto: the S3 evidence store writes with Object Lock in compliance mode and SSE-KMS, never
 * overwrites, and stores only ciphertext; evidence verify works on it; and the payload codec's envelope mode takes its data
 * keys from KMS (another process, knowing only the KMS key id, decrypts).
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { defaultPayloadConverter } from '@temporalio/common';
import { EvidenceConflictError, evidenceStoreFor, manifestKey, verifyIncidentEvidence, writeSnapshot } from '../../activities/evidence';
import { s3EvidenceStore } from '../../activities/evidence/s3-store';
import { parseConfig } from '../../platform/config';
import { payloadCodec, storeKeys } from '../../platform/data-converter';
import { startMoto, type Moto } from '../support/moto';

jest.setTimeout(60_000);
let moto: Moto;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ region: moto.region, endpoint: moto.endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'evidence', ObjectLockEnabledForBucket: true }));
});
afterAll(async () => moto?.stop());

test('evidence goes to S3 under compliance-mode retention, write-once, and verifies', async () => {
  const kms = new KMSClient({ region: moto.region, endpoint: moto.endpoint });
  const bucketKey = (await kms.send(new CreateKeyCommand({ Description: 'evidence bucket' }))).KeyMetadata!.Arn!;
  const config = parseConfig({
    aws: { region: moto.region, endpoint: moto.endpoint },
    codec: { keys: `k1:${randomBytes(32).toString('base64')}` },
    evidence: { s3: { bucket: 'evidence', prefix: 'tq', retentionDays: 30, kmsKeyId: bucketKey } },
  });
  const store = evidenceStoreFor(config);
  expect(store.location).toBe('s3://evidence/tq/');
  const incidentId = 'incident/fp-s3';
  const written = await writeSnapshot(store, {
    incidentId,
    snapshotId: 'snap-1',
    createdAt: new Date().toISOString(),
    custody: { collectedBy: 'test', host: 'test', at: new Date().toISOString(), why: { incident: incidentId, step: 'snap' }, workflow: { id: 'w', runId: 'r' }, store: store.location },
    artifacts: [{ name: 'incident-state', collector: 'incident.state', source: incidentId, collectedAt: new Date().toISOString(), content: { json: { status: 'containing' } } }],
  });
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'evidence', Key: `tq/${manifestKey(incidentId, 'snap-1')}` }));
  expect(head.ObjectLockMode).toBe('COMPLIANCE');
  // S3 encrypts with the configured KMS key; what it encrypts is already our ciphertext.
  expect(head.ServerSideEncryption).toBe('aws:kms');
  expect(head.SSEKMSKeyId).toContain(bucketKey.split('/').pop());
  const stored = await s3.send(new GetObjectCommand({ Bucket: 'evidence', Key: `tq/${manifestKey(incidentId, 'snap-1')}` }));
  const body = Buffer.from(await stored.Body!.transformToByteArray());
  expect(body.subarray(0, 4).toString()).toBe('TQE1');
  expect(body.includes(Buffer.from('containing'))).toBe(false);
  expect(body.includes(Buffer.from(incidentId))).toBe(false);
  const days = (head.ObjectLockRetainUntilDate!.getTime() - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(29);
  expect(days).toBeLessThanOrEqual(30);
  await expect(store.put(written.manifest.artifacts[0]!.key, Buffer.from('{"status":"fine"}'))).rejects.toThrow(EvidenceConflictError);
  const anchors = new Map([['snap-1', written.manifestHash]]);
  expect((await verifyIncidentEvidence(store, incidentId, anchors)).status).toBe('intact');

  // Someone with bucket rights uploads a new version over the artifact: verify reads it and says so.
  await s3.send(new PutObjectCommand({ Bucket: 'evidence', Key: `tq/${written.manifest.artifacts[0]!.key}`, Body: '{"status":"fine"}' }));
  expect((await verifyIncidentEvidence(s3EvidenceStore(s3, { bucket: 'evidence', prefix: 'tq', retentionDays: 30 }, storeKeys(config)), incidentId, anchors)).status).toBe('altered');
});

test('envelope encryption with KMS data keys: a second process decrypts with the key id alone', async () => {
  const kms = new KMSClient({ region: moto.region, endpoint: moto.endpoint });
  const keyId = (await kms.send(new CreateKeyCommand({ Description: 'payload codec' }))).KeyMetadata!.KeyId!;
  const settings = { dataDir: `/tmp/tq-kms-${process.pid}`, aws: { region: moto.region, endpoint: moto.endpoint }, codec: { kms: { keyId } } };
  const writer = payloadCodec(parseConfig(settings));
  const sealed = await writer.encode([defaultPayloadConverter.toPayload({ patient: 'Jane Roe' })!]);
  expect(Buffer.from(sealed[0]!.data!).toString('latin1')).not.toContain('Jane Roe');
  expect(Buffer.from(sealed[0]!.metadata!['encryption-key-id']!).toString()).toMatch(/^kms-/);
  const reader = payloadCodec(parseConfig(settings));
  expect(defaultPayloadConverter.fromPayload((await reader.decode(sealed))[0]!)).toEqual({ patient: 'Jane Roe' });
  // Without KMS and without the data key, nothing decrypts.
  const outsider = payloadCodec(parseConfig({ dataDir: settings.dataDir, codec: { keys: `k:${randomBytes(32).toString('base64')}` } }));
  await expect(outsider.decode(sealed)).rejects.toThrow(/not configured/);

  // The stores use the same keys: evidence sealed under a KMS data key opens in another process.
  const s3Settings = { ...settings, evidence: { s3: { bucket: 'evidence', prefix: 'kms' } } };
  await evidenceStoreFor(parseConfig(s3Settings)).put('raw/generic/x', Buffer.from('{"patient":"Jane Roe"}'));
  const object = await s3.send(new GetObjectCommand({ Bucket: 'evidence', Key: 'kms/raw/generic/x' }));
  const bytes = Buffer.from(await object.Body!.transformToByteArray());
  expect(bytes.toString('latin1')).toMatch(/"kid":"kms-[0-9a-f]+","kc":"[0-9a-f]+","n":"[^"]+","wk":"/);
  expect(bytes.includes(Buffer.from('Jane Roe'))).toBe(false);
  expect(Buffer.from((await evidenceStoreFor(parseConfig(s3Settings)).get('raw/generic/x'))!).toString()).toBe('{"patient":"Jane Roe"}');
  await expect(evidenceStoreFor(parseConfig({ ...s3Settings, codec: { keys: `k:${randomBytes(32).toString('base64')}` } })).get('raw/generic/x')).rejects.toThrow(/not configured/);
});
