import { classify } from '../errors';

/** Run one AWS call; its error leaves classified (final vs retryable) and named after `what`. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    classify(err, what);
  }
}

/** Read something that may legitimately be absent: not-found becomes undefined, the rest is classified. */
export async function readOptional<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    classify(err, what);
  }
}

export function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  return [
    'NoSuchEntity',
    'NoSuchEntityException',
    'NotFoundException',
    'WAFNonexistentItemException',
    // S3: a bucket without a policy or without Block Public Access
    'NoSuchBucketPolicy',
    'NoSuchPublicAccessBlockConfiguration',
    // RDS: a snapshot not taken yet
    'DBSnapshotNotFound',
    'DBSnapshotNotFoundFault',
    'DBClusterSnapshotNotFoundFault',
    // Secrets Manager: a secret or version that is not there
    'ResourceNotFoundException',
  ].includes(name);
}

export function errorName(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? 'Error';
}

/**
 * Every item of a paginated listing, through the SDK's own `paginate*` helper, its error classified
 * like any call; `limit` stops early (the items up to it are returned).
 */
export async function collectPages<P, T>(what: string, pages: AsyncIterable<P>, items: (page: P) => T[] | undefined, limit = Infinity): Promise<T[]> {
  const all: T[] = [];
  try {
    for await (const page of pages) {
      all.push(...(items(page) ?? []));
      if (all.length >= limit) break;
    }
  } catch (err) {
    classify(err, what);
  }
  return all;
}
