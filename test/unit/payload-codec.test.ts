/**
 * The payload codec: AES-256-GCM with the key id in the metadata. Several keys decrypt, the active
 * one encrypts, and a payload whose key is unknown or wrong is an error, never passed through.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { CodecError, encryptionCodec, KEY_ID_METADATA, REFUSED_PLAINTEXT, type DataKeyService } from '../../platform/codec';
import { codecSetup, createDataConverter } from '../../platform/data-converter';
import { parseConfig } from '../../platform/config';

const MARKER = 'PHI-MARKER-Jane-Roe-1962';
const key = () => ({ key: randomBytes(32) });
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value)!;
const value = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const text = (p: Payload) => Buffer.concat([Buffer.from(p.data ?? []), ...Object.values(p.metadata ?? {}).map((v) => Buffer.from(v ?? []))]).toString('latin1');

test('a payload round-trips and its stored bytes hold no plaintext', async () => {
  const codec = encryptionCodec({ keys: [{ id: 'k1', ...key() }], activeKeyId: 'k1' });
  const [sealed] = await codec.encode([payload({ patient: MARKER })]);
  expect(text(sealed!)).not.toContain(MARKER);
  expect(Buffer.from(sealed!.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
  const [opened] = await codec.decode([sealed!]);
  expect(value(opened!)).toEqual({ patient: MARKER });
});

test('the same value encrypts differently each time (random nonce)', async () => {
  const codec = encryptionCodec({ keys: [{ id: 'k1', ...key() }], activeKeyId: 'k1' });
  const [a, b] = await codec.encode([payload('same'), payload('same')]);
  expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
});

test('rotation: payloads written with the old key still decode once a new key is active', async () => {
  const k1 = { id: 'k1', ...key() };
  const k2 = { id: 'k2', ...key() };
  const before = encryptionCodec({ keys: [k1], activeKeyId: 'k1' });
  const [old] = await before.encode([payload('written before rotation')]);
  const after = encryptionCodec({ keys: [k1, k2], activeKeyId: 'k2' });
  const [fresh] = await after.encode([payload('written after')]);
  expect(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString()).toBe('k2');
  expect((await after.decode([old!, fresh!])).map(value)).toEqual(['written before rotation', 'written after']);
  // The old key alone cannot read what the new key wrote.
  await expect(before.decode([fresh!])).rejects.toThrow(/key k2, which is not configured/);
});

test('a wrong key under the right id, or an altered ciphertext, fails loudly', async () => {
  const right = encryptionCodec({ keys: [{ id: 'k1', ...key() }], activeKeyId: 'k1' });
  const wrong = encryptionCodec({ keys: [{ id: 'k1', ...key() }], activeKeyId: 'k1' });
  const [sealed] = await right.encode([payload('secret')]);
  await expect(wrong.decode([sealed!])).rejects.toThrow(CodecError);
  const flipped = Buffer.from(sealed!.data!);
  flipped[20] = flipped[20]! ^ 1;
  await expect(right.decode([{ ...sealed!, data: flipped }])).rejects.toThrow(/wrong key or altered/);
  // relabelling to another configured key fails too: the key id is authenticated
  const two = encryptionCodec({ keys: [{ id: 'k1', ...key() }, { id: 'k2', ...key() }], activeKeyId: 'k1' });
  const [mine] = await two.encode([payload('x')]);
  await expect(two.decode([{ ...mine!, metadata: { ...mine!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } }])).rejects.toThrow(CodecError);
});

test('misconfigured keys are refused at construction', () => {
  expect(() => encryptionCodec({ keys: [{ id: 'k1', key: randomBytes(16) }], activeKeyId: 'k1' })).toThrow(/32 bytes/);
  expect(() => encryptionCodec({ keys: [{ id: 'k1', ...key() }], activeKeyId: 'k9' })).toThrow(/not among/);
  expect(() => parseConfig({ codec: { keys: [{ id: 'a', key: 'short' }] } })).toThrow(/codec.keys.0.key/);
  expect(() => parseConfig({ codec: { keys: `a:${randomBytes(32).toString('base64')},b:${randomBytes(32).toString('base64')}` } })).toThrow(/activeKeyId/);
});

test('envelope encryption: data keys from a key service, unwrapped once per process', async () => {
  const master = randomBytes(32);
  let unwraps = 0;
  // XOR wrapping stands in for KMS here; test/integration/evidence-s3-kms.test.ts uses KMS itself (moto).
  const service: DataKeyService = {
    async generate() {
      const plaintext = randomBytes(32);
      return { plaintext, wrapped: Buffer.from(plaintext.map((b, i) => b ^ master[i]!)) };
    },
    async unwrap(wrapped) {
      unwraps += 1;
      return Buffer.from(Buffer.from(wrapped).map((b, i) => b ^ master[i]!));
    },
  };
  const writer = encryptionCodec({ keys: [], kms: service });
  const sealed = await writer.encode([payload(1), payload(2)]);
  const reader = encryptionCodec({ keys: [], kms: service });
  expect((await reader.decode(sealed)).map(value)).toEqual([1, 2]);
  expect(await reader.decode(sealed)).toHaveLength(2);
  expect(unwraps).toBe(1);
  await expect(encryptionCodec({ keys: [{ id: 'k1', ...key() }], activeKeyId: 'k1' }).decode(sealed)).rejects.toThrow(/no KMS key/);
});

test('failure messages and stack traces are encrypted like payloads, and read back with the codec', async () => {
  const MARKER = 'PHI-FAILURE-MARKER-Jane-Roe';
  const config = parseConfig({ codec: { keys: `k1:${randomBytes(32).toString('base64')}` } });
  const converter = loadDataConverter(createDataConverter(config));
  const failure = await encodeErrorToFailure(converter, ApplicationFailure.nonRetryable(`export of ${MARKER} refused`, 'AccessDenied'));
  const stored = Buffer.from(temporal.api.failure.v1.Failure.encode(failure).finish());
  expect(stored.includes(Buffer.from(MARKER))).toBe(false);
  expect(stored.includes(Buffer.from('binary/encrypted'))).toBe(true);
  const read = await decodeOptionalFailureToOptionalError(converter, failure);
  expect(read?.message).toBe(`export of ${MARKER} refused`);
});

test('a payload that is not encrypted is refused (a client without the key sends nothing a worker acts on), unless the migration switch is on', async () => {
  const strict = encryptionCodec({ keys: [{ id: 'k1', ...key() }], activeKeyId: 'k1' });
  const forged = payload({ by: 'alice', stepId: 'revoke-key', justification: 'x' });
  // Its content never comes through: what arrives is the refusal, which no handler accepts.
  expect(value((await strict.decode([forged]))[0]!)).toEqual({ ...REFUSED_PLAINTEXT, encoding: 'json/plain' });
  expect(value((await strict.decode([{ data: Buffer.from('{"by":"alice"}') }]))[0]!)).toEqual({ ...REFUSED_PLAINTEXT, encoding: 'none' });
  const migrating = codecSetup(parseConfig({ dataDir: mkdtempSync(join(tmpdir(), 'tq-codec-')), codec: { acceptPlaintext: true } })).codec;
  expect(value((await migrating.decode([forged]))[0]!)).toEqual({ by: 'alice', stepId: 'revoke-key', justification: 'x' });
  expect(parseConfig({}).codec.acceptPlaintext).toBe(false);
});
