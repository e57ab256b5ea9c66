import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Config } from './config';

/**
 * Where a running `npm start` listens, written to the data directory so that a second shell's
 * CLI finds the embedded Temporal server without the start command's variables (a port chosen with
 * TOURNIQUET_TEMPORAL_PORT, say). Readable only by its owner, like the codec key beside it.
 */
const ServerFileSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  /** host:port of the embedded Temporal dev server */
  temporalAddress: z.string().min(1),
  temporalUiUrl: z.string().optional(),
  ingressUrl: z.string().optional(),
});

export type RunningServer = z.infer<typeof ServerFileSchema>;

export function serverFilePath(config: Pick<Config, 'dataDir'>): string {
  return join(resolve(config.dataDir), 'server.json');
}

/** Written whole under a private name, then renamed into place: a reader never sees half a file. */
export function recordRunningServer(config: Pick<Config, 'dataDir'>, server: RunningServer): string {
  const path = serverFilePath(config);
  mkdirSync(resolve(config.dataDir), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(server, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return path;
}

/** At shutdown: remove the file, unless another process has recorded itself there since. */
export function forgetRunningServer(config: Pick<Config, 'dataDir'>, pid = process.pid): void {
  const path = serverFilePath(config);
  if (readRunningServer(config)?.pid !== pid) return;
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The recorded server, or undefined when there is no (readable, well-formed) file. */
export function readRunningServer(config: Pick<Config, 'dataDir'>): RunningServer | undefined {
  let text: string;
  try {
    text = readFileSync(serverFilePath(config), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = ServerFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the file still runs (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
