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
  return ['NoSuchEntity', 'NoSuchEntityException', 'NotFoundException', 'WAFNonexistentItemException'].includes(name);
}

export function errorName(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? 'Error';
}
