import { putRawPayload, type EvidenceStore } from '../activities/evidence';

export { rawRefOf } from '../activities/evidence';

/**
 * Raw alert payloads may carry PHI, so they never go into Temporal history: they are written to
 * the evidence store (activities/evidence/raw-payloads.ts) and alerts carry only the reference.
 */
export interface RawPayloadStore {
  put(source: string, body: Uint8Array): Promise<string>;
}

export function evidenceRawStore(store: EvidenceStore): RawPayloadStore {
  return { put: (source, body) => putRawPayload(store, source, body) };
}
