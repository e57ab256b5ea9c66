import { localBlobStore } from '../activities/evidence';

/**
 * Which content a sender-given delivery id was first accepted with. The incident workflow attaches
 * a delivery id once, so a second, different alert under a used id would vanish there; binding the
 * id at the edge lets the ingress refuse it instead. Kept beside the raw payloads (under the data
 * directory), so the binding outlives an ingress restart; ingresses that share a data directory
 * share it too.
 */
export interface DeliveryIdRegistry {
  /** the content digest the id is bound to, if it is */
  boundTo(source: string, deliveryId: string): Promise<string | undefined>;
  /** bind the id to `digest` unless it is bound already; returns what it is bound to now */
  bind(source: string, deliveryId: string, digest: string): Promise<string>;
}

const ID = /^[0-9a-f]{16,64}$/;

/**
 * Each binding is a write-once object of the local evidence store (activities/evidence/
 * local-store.ts): written whole under a temporary name, fsynced, linked into place and its folder
 * fsynced before `bind` returns. So after a power cut an id the ingress answered 202 for is still
 * bound (else a different alert under it would be accepted and then dropped by the incident), and
 * a binding is there whole or not at all; of two deliveries racing for one id, one link wins.
 */
export function localDeliveryIds(dir: string): DeliveryIdRegistry {
  const store = localBlobStore(dir);
  const keyOf = (source: string, deliveryId: string) => {
    // Ids are our own hashes (normalise.ts); anything else must not become a path.
    if (!ID.test(deliveryId) || !/^[a-z]+$/.test(source)) throw new Error(`not a delivery id: ${source}/${deliveryId.slice(0, 80)}`);
    return `${source}/${deliveryId}`;
  };
  const read = async (key: string): Promise<string | undefined> => {
    const bytes = await store.get(key);
    // Empty: a binding written in place before bindings were linked whole, its writer dead half-way.
    const text = bytes && Buffer.from(bytes).toString('utf8').trim();
    return text || undefined;
  };
  return {
    boundTo: (source, deliveryId) => read(keyOf(source, deliveryId)),
    async bind(source, deliveryId, digest) {
      const key = keyOf(source, deliveryId);
      if ((await store.create(key, Buffer.from(`${digest}\n`))) === 'created') return digest;
      return (await read(key)) ?? digest;
    },
  };
}
