import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * A lock between processes sharing one audit log: the lock file is created with O_EXCL, so exactly
 * one holder exists at a time. A holder that died (same host, pid gone) leaves a stale lock that the
 * next writer removes; its content is re-read right before removal so a fresh lock is never taken away.
 */
const RETRY_MS = [1, 2, 5, 10, 20, 50];
const GIVE_UP_MS = 30_000;

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const owner = `${process.pid} ${hostname()} ${Date.now()}`;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(owner);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await removeIfStale(lockPath);
      if (Date.now() - started > GIVE_UP_MS) throw new Error(`audit log lock ${lockPath} held for more than ${GIVE_UP_MS / 1000}s`);
      await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]! * (0.5 + Math.random()));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

async function removeIfStale(lockPath: string): Promise<void> {
  const content = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  if (content === '') {
    // the holder died between creating the file and naming itself
    const age = Date.now() - ((await stat(lockPath).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (age > 10_000) await unlink(lockPath).catch(() => undefined);
    return;
  }
  const [pid, host] = content.split(' ');
  if (host !== hostname() || !pid || alive(Number(pid))) return;
  if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === content) await unlink(lockPath).catch(() => undefined);
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true; // unreadable owner: never assume it is dead
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
