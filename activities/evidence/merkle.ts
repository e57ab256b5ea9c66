import { createHash } from 'node:crypto';

/**
 * A Merkle root over a snapshot's artifacts (name + SHA-256, in name order). Leaves and inner nodes
 * are hashed with different prefixes (RFC 6962), so a leaf can never pass for a subtree.
 */
export function merkleRoot(artifacts: readonly { name: string; sha256: string }[]): string {
  let level = [...artifacts]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((a) => hash(Buffer.from([0]), Buffer.from(a.name, 'utf8'), Buffer.from([0]), Buffer.from(a.sha256, 'hex')));
  if (level.length === 0) return createHash('sha256').digest('hex');
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? hash(Buffer.from([1]), level[i]!, level[i + 1]!) : level[i]!);
    }
    level = next;
  }
  return level[0]!.toString('hex');
}

function hash(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}
