import { open } from 'node:fs/promises';

/**
 * fsync of a folder, so the names linked into it survive a power cut (an object's own fsync keeps
 * its bytes, not its name). Calls overlapping a sync in progress share the next one, as the
 * ledger's appends share a write (activities/audit/chain-writer.ts): a busy ingress makes one
 * folder sync per batch of payloads, not one per payload. A file system that cannot sync a
 * folder (EINVAL, EISDIR, EPERM) has nothing more to give.
 */
export function folderSyncs(): (folder: string) => Promise<void> {
  const running = new Map<string, Promise<void>>();
  const queued = new Map<string, Promise<void>>();
  const syncOnce = async (folder: string) => {
    const dir = await open(folder, 'r');
    try {
      await dir.sync().catch((err: NodeJS.ErrnoException) => {
        if (!['EINVAL', 'EISDIR', 'EPERM'].includes(err.code ?? '')) throw err;
      });
    } finally {
      await dir.close();
    }
  };
  const start = (folder: string): Promise<void> => {
    queued.delete(folder);
    const run = syncOnce(folder).finally(() => {
      if (running.get(folder) === run) running.delete(folder);
    });
    running.set(folder, run);
    return run;
  };
  return (folder) => {
    const next = queued.get(folder);
    if (next) return next;
    const current = running.get(folder);
    if (!current) return start(folder);
    // That sync may have begun before our link: wait for the one after it.
    const after = current.catch(() => undefined).then(() => start(folder));
    queued.set(folder, after);
    return after;
  };
}
