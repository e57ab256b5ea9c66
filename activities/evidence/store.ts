/**
 * Where evidence lives. Write-once: a key, once written, is never overwritten. Writing the same
 * bytes again (a retried activity) is a no-op; writing different bytes under a used key fails.
 */
export interface EvidenceStore {
  /** e.g. `file:///var/lib/tourniquet/evidence` or `s3://bucket/prefix` */
  readonly location: string;
  put(key: string, body: Uint8Array): Promise<void>;
  /** undefined when the key does not exist */
  get(key: string): Promise<Uint8Array | undefined>;
  /** keys under a prefix (`a/b/`), sorted */
  list(prefix: string): Promise<string[]>;
}

export class EvidenceConflictError extends Error {
  override name = 'EvidenceConflict';
}

/** Keys are paths of safe segments: no `..`, no absolute paths, nothing a file system would misread. */
export function checkKey(key: string): string {
  if (!/^[\w.@=-]+(\/[\w.@=-]+)*$/.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(`not a valid evidence key: ${key}`);
  }
  return key;
}
