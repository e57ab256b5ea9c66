import { createHash } from 'node:crypto';

/**
 * The keys Tourniquet encrypts with, wherever it encrypts: Temporal payloads (platform/codec.ts)
 * and every store that can hold PHI (platform/at-rest.ts). One ring, so one key management: the
 * configured keys (every one decrypts, the active one encrypts) or KMS data keys (envelope
 * encryption: the wrapped data key travels with what it encrypted).
 */

export const KEY_BYTES = 32;

export interface CodecKey {
  id: string;
  key: Uint8Array;
}

/** A KMS key that issues data keys and unwraps them again (envelope encryption). */
export interface DataKeyService {
  /** a fresh 32-byte data key and the same key wrapped by the master key */
  generate(): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }>;
  unwrap(wrapped: Uint8Array): Promise<Uint8Array>;
}

export interface CodecKeys {
  /** every key that may decrypt; the active one also encrypts unless `kms` is set */
  keys: CodecKey[];
  activeKeyId?: string;
  /** when set, new data is encrypted with KMS data keys instead of `activeKeyId` */
  kms?: DataKeyService;
}

/** Something encrypted that cannot be decrypted: never passed on as if it were data. */
export class CodecError extends Error {
  override name = 'CodecError';
}

/** A wrapped data key that is not the one its key id names: the stored header was changed. */
export class KeyMismatchError extends CodecError {
  override name = 'KeyMismatchError';
}

/** The key new data is sealed with; `wrapped` is set for a KMS data key and must travel along. */
export interface SealingKey {
  id: string;
  key: Uint8Array;
  wrapped?: Uint8Array;
}

export interface KeyRing {
  sealingKey(): Promise<SealingKey>;
  /** the key `id` names (for a KMS data key, unwrapped from `wrapped`); CodecError if none is configured */
  openingKey(id: string, wrapped?: Uint8Array): Promise<Uint8Array>;
}

export function keyRing({ keys, activeKeyId, kms }: CodecKeys): KeyRing {
  const ring = new Map<string, Uint8Array>();
  for (const { id, key } of keys) {
    if (key.length !== KEY_BYTES) throw new CodecError(`codec key ${id} must be ${KEY_BYTES} bytes, got ${key.length}`);
    if (ring.has(id)) throw new CodecError(`codec key ${id} is listed twice`);
    ring.set(id, key);
  }
  if (!kms && (!activeKeyId || !ring.has(activeKeyId))) {
    throw new CodecError(`the active codec key ${activeKeyId ?? '(unset)'} is not among the configured keys`);
  }

  // One data key per ring; it is cached by id so decrypting our own data costs no KMS call.
  let dataKey: Promise<SealingKey> | undefined;
  const unwrapped = new Map<string, Promise<Uint8Array>>();
  const currentDataKey = () =>
    (dataKey ??= kms!.generate().then(({ plaintext, wrapped }) => {
      const id = dataKeyId(wrapped);
      unwrapped.set(id, Promise.resolve(plaintext));
      return { id, key: plaintext, wrapped };
    }));

  return {
    async sealingKey() {
      if (kms) return currentDataKey();
      return { id: activeKeyId!, key: ring.get(activeKeyId!)! };
    },
    async openingKey(id, wrapped) {
      const local = ring.get(id);
      if (local) return local;
      if (wrapped && kms) {
        if (dataKeyId(wrapped) !== id) throw new KeyMismatchError(`key id ${id} does not match its wrapped data key`);
        let key = unwrapped.get(id);
        if (!key) {
          key = kms.unwrap(wrapped);
          unwrapped.set(id, key);
          key.catch(() => unwrapped.delete(id));
        }
        return key;
      }
      throw new CodecError(`encrypted with key ${id}, which is not configured${wrapped ? ' (and no KMS key is configured to unwrap it)' : ''}`);
    },
  };
}

function dataKeyId(wrapped: Uint8Array): string {
  return `kms-${createHash('sha256').update(wrapped).digest('hex').slice(0, 24)}`;
}
