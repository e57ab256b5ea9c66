/**
 * Where evidence lives. Write-once: a key, once written, is never overwritten. Writing the same
 * bytes again (a retried activity) is a no-op; writing different bytes under a used key fails.
 * What callers put and get is plaintext; the configured store encrypts it at rest
 * (sealed-store.ts), so a hash taken by a caller is a hash of the plaintext.
 */
export interface EvidenceStore {
  /** e.g. `file:///var/lib/tourniquet/evidence` or `s3://bucket/prefix` */
  readonly location: string;
  put(key: string, body: Uint8Array): Promise<void>;
  /** undefined when the key does not exist; UnreadableEvidenceError when it does not decrypt */
  get(key: string): Promise<Uint8Array | undefined>;
  /** keys under a prefix (`a/b/`), sorted */
  list(prefix: string): Promise<string[]>;
}

/**
 * The bytes under the stores: a local folder or S3, write-once. `create` writes an object only if
 * the key is free and says whether it did; comparing contents is the sealed store's business
 * (two sealings of the same plaintext differ, since every one has its own nonce).
 */
export interface BlobStore {
  readonly location: string;
  create(key: string, body: Uint8Array): Promise<'created' | 'exists'>;
  get(key: string): Promise<Uint8Array | undefined>;
  list(prefix: string): Promise<string[]>;
}

export class EvidenceConflictError extends Error {
  override name = 'EvidenceConflict';
}

/** Keys are paths of safe segments: no `..`, no absolute paths, nothing a file system would misread. */
export function checkKey(key: string): string {
  if (!/^[\w.@=-]+(\/[\w.@=-]+)*$/.test(key) || key.split('/').some((s) => s === '.' || s === '..' || s.startsWith('.'))) {
    throw new Error(`not a valid evidence key: ${key}`);
  }
  return key;
}
