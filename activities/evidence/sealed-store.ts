import { isSealed, seal, unseal, UnsealError, type UnsealReason } from '../../platform/at-rest';
import type { KeyRing } from '../../platform/key-ring';
import { EvidenceConflictError, type BlobStore, type EvidenceStore } from './store';

/** A stored object that exists but does not decrypt with the configured keys. */
export class UnreadableEvidenceError extends Error {
  override name = 'UnreadableEvidence';
  constructor(
    readonly key: string,
    readonly reason: UnsealReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The evidence store as every caller sees it: plaintext in, plaintext out, AES-256-GCM at rest
 * under the codec's key ring (platform/at-rest.ts), each object bound to its key in the store.
 * Objects written before encryption at rest (no envelope) are read as they are, so older
 * snapshots still verify.
 */
export function sealedStore(blobs: BlobStore, keys: KeyRing): EvidenceStore {
  async function open(key: string, bytes: Uint8Array): Promise<Uint8Array> {
    if (!isSealed(bytes)) return bytes;
    try {
      return await unseal(keys, bytes, key);
    } catch (err) {
      if (err instanceof UnsealError) throw new UnreadableEvidenceError(key, err.reason, err.message);
      throw err;
    }
  }

  const store: EvidenceStore = {
    location: blobs.location,
    async put(key, body) {
      if ((await blobs.create(key, await seal(keys, body, key))) === 'created') return;
      // Already there (a retry, or a writer racing us): the same plaintext is done, anything else a conflict.
      const existing = await blobs.get(key);
      let plain: Uint8Array | undefined;
      try {
        plain = existing && (await open(key, existing));
      } catch (err) {
        if (!(err instanceof UnreadableEvidenceError)) throw err;
        throw new EvidenceConflictError(`evidence ${key} already exists and does not decrypt with the configured keys (${err.reason}); it is never overwritten`);
      }
      if (!plain || !Buffer.from(plain).equals(Buffer.from(body))) {
        throw new EvidenceConflictError(`evidence ${key} already exists with other content; it is never overwritten`);
      }
    },
    async get(key) {
      const bytes = await blobs.get(key);
      return bytes && open(key, bytes);
    },
    list: (prefix) => blobs.list(prefix),
  };
  return store;
}
