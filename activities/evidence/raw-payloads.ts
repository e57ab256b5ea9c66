import { createHash } from 'node:crypto';
import type { EvidenceStore } from './store';

/**
 * Raw alert payloads may carry PHI, so they never go into Temporal history: the ingress stores
 * them in the evidence store (encrypted at rest, write-once, content-addressed) and alerts carry
 * only the reference, `raw/<source>/<sha256 of the body>`, which is also the object's key. Any
 * worker on any host snapshots what any ingress received.
 */
const RAW_REF = /^raw\/[\w-]+\/[0-9a-f]{64}$/;

export function isRawRef(ref: string): boolean {
  return RAW_REF.test(ref);
}

/** A payload's reference, from its bytes alone: known before it is stored, the same in every store. */
export function rawRefOf(source: string, body: Uint8Array): string {
  return `raw/${source}/${createHash('sha256').update(body).digest('hex')}`;
}

export async function putRawPayload(store: EvidenceStore, source: string, body: Uint8Array): Promise<string> {
  const ref = rawRefOf(source, body);
  await store.put(ref, body);
  return ref;
}

export async function getRawPayload(store: EvidenceStore, ref: string): Promise<Uint8Array | undefined> {
  return isRawRef(ref) ? store.get(ref) : undefined;
}
