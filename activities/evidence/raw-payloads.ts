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

export async function putRawPayload(store: EvidenceStore, source: string, body: Uint8Array): Promise<string> {
  const ref = `raw/${source}/${createHash('sha256').update(body).digest('hex')}`;
  await store.put(ref, body);
  return ref;
}

export async function getRawPayload(store: EvidenceStore, ref: string): Promise<Uint8Array | undefined> {
  return isRawRef(ref) ? store.get(ref) : undefined;
}
