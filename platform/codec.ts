import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CodecError, KEY_BYTES, keyRing, type CodecKey, type CodecKeys, type KeyRing } from './key-ring';

/**
 * The payload codec: every payload Temporal stores (workflow inputs, results, signals, updates,
 * activity arguments, queries' answers) leaves the process as AES-256-GCM ciphertext, so PHI in an
 * alert never reaches the Temporal database in plaintext. The key id travels in the payload
 * metadata, so several keys can decrypt at once and the active key can rotate without breaking
 * running workflows.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** KMS envelope encryption: the data key, wrapped by the KMS key, rides along with the payload. */
export const WRAPPED_KEY_METADATA = 'encryption-wrapped-key';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export { CodecError, type CodecKey, type CodecKeys, type DataKeyService } from './key-ring';

const text = new TextEncoder();
const utf8 = new TextDecoder();

/**
 * What an unencrypted payload decodes to: a value no validator or handler accepts (it carries no
 * decision proof, no alert fields). Throwing instead would fail the workflow task over and over (an
 * update stays with the server, a signal stays in history), so one plaintext signal from any
 * Temporal client would stop an incident for good; this way it is refused and the incident goes on.
 */
export const REFUSED_PLAINTEXT = { refused: 'a payload that was not encrypted with the payload key; the codec refused its content' } as const;

const refusedPayload = (encoding: string): Payload => ({
  metadata: { encoding: text.encode('json/plain') },
  data: text.encode(JSON.stringify({ ...REFUSED_PLAINTEXT, encoding })),
});

/** The codec over a key ring (platform/key-ring.ts), or over keys from which one is built. */
export function encryptionCodec(keys: CodecKeys | KeyRing, { acceptPlaintext = false }: { acceptPlaintext?: boolean } = {}): PayloadCodec {
  const ring = 'sealingKey' in keys ? keys : keyRing(keys);
  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return Promise.all(
        payloads.map(async (payload) => {
          const plain = temporal.api.common.v1.Payload.encode(payload).finish();
          const { id, key, wrapped } = await ring.sealingKey();
          return sealed(id, key, plain, wrapped ? { [WRAPPED_KEY_METADATA]: wrapped } : {});
        }),
      );
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return Promise.all(
        payloads.map(async (payload) => {
          const encoding = payload.metadata?.encoding;
          if (!encoding || utf8.decode(encoding) !== ENCRYPTED_ENCODING) {
            // Only clients holding the payload key may send to Tourniquet's workflows.
            return acceptPlaintext ? payload : refusedPayload(encoding ? utf8.decode(encoding) : 'none');
          }
          const idBytes = payload.metadata?.[KEY_ID_METADATA];
          if (!idBytes) throw new CodecError('encrypted payload has no key id');
          const id = utf8.decode(idBytes);
          const key = await ring.openingKey(id, payload.metadata?.[WRAPPED_KEY_METADATA] ?? undefined).catch((err: Error) => {
            throw err instanceof CodecError ? new CodecError(`payload is ${err.message}`) : err;
          });
          const plain = open(id, key, payload.data ?? new Uint8Array());
          return temporal.api.common.v1.Payload.decode(plain) as Payload;
        }),
      );
    },
  };
}

function sealed(id: string, key: Uint8Array, plain: Uint8Array, extra: Record<string, Uint8Array>): Payload {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  // The key id is authenticated: a payload cannot be relabelled to another key unnoticed.
  cipher.setAAD(text.encode(id));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    metadata: { encoding: text.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text.encode(id), ...extra },
    data: Buffer.concat([nonce, body, cipher.getAuthTag()]),
  };
}

function open(id: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length < NONCE_BYTES + TAG_BYTES) throw new CodecError(`encrypted payload (key ${id}) is truncated`);
  const nonce = data.subarray(0, NONCE_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(text.encode(id));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new CodecError(`payload does not decrypt with key ${id}: wrong key or altered ciphertext`);
  }
}

/** `base64` of exactly 32 bytes, as configuration and the local key file hold keys. */
export function decodeKey(id: string, base64: string): CodecKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== base64.replace(/\s/g, '')) {
    throw new CodecError(`codec key ${id} must be base64 of ${KEY_BYTES} bytes`);
  }
  return { id, key };
}

export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
