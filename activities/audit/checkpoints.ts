import type { EvidenceStore } from '../evidence/store';
import type { ChainHead } from './record';

const PREFIX = 'audit-checkpoints/';

/**
 * The chain head, written now and then to the write-once evidence store: a log rewritten from some
 * record onwards (every hash recomputed) no longer matches the checkpoints taken before.
 */
export function auditCheckpoints(store: EvidenceStore, now: () => Date = () => new Date()) {
  return async (head: ChainHead): Promise<void> => {
    const body = Buffer.from(JSON.stringify({ seq: head.seq, hash: head.hash, at: now().toISOString() }), 'utf8');
    await store.put(`${PREFIX}${String(head.seq).padStart(12, '0')}.json`, body);
  };
}

export async function readCheckpoints(store: EvidenceStore): Promise<ChainHead[]> {
  const heads: ChainHead[] = [];
  for (const key of await store.list(PREFIX)) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    const { seq, hash } = JSON.parse(Buffer.from(bytes).toString('utf8')) as ChainHead;
    heads.push({ seq, hash });
  }
  return heads;
}
