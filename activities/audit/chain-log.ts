import { appendFile, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { folderSyncs } from '../../platform/folder-sync';
import type { AuditEvent } from '../audit-sink';
import { chainWriter, type ChainLog, type ChainStore, type ChainWriterOptions } from './chain-writer';
import { withFileLock } from './file-lock';
import { EMPTY_CHAIN, recordHash, recordLine, sealRecord, type AuditRecord, type ChainHead } from './record';

export type { ChainLog } from './chain-writer';

export interface ChainLogOptions extends ChainWriterOptions {
  path: string;
}

/** The audit log in a file: the embedded default (see fileChainStore). */
export function chainLog(options: ChainLogOptions): ChainLog {
  return chainWriter(fileChainStore(options.path), options);
}

/**
 * The audit log: one JSON record per line, each carrying the hash of the one before it. Appends
 * take a lock file (one writer across processes), catch up with what other processes wrote, repair
 * a torn last line a crash left behind, skip event ids already present, then write and fsync
 * (and, once per process, the folder, so a log created by this append keeps its name).
 */
export function fileChainStore(path: string): ChainStore {
  let head: ChainHead = EMPTY_CHAIN;
  /** bytes of the file this process has read and trusts: always ends at a line boundary */
  let known = 0;
  const ids = new Set<string>();
  let dirReady: Promise<unknown> | undefined;
  /** whether the log's name is known to be on disk (its folder synced since this process opened it) */
  let named = false;
  const syncFolder = folderSyncs();

  async function catchUp(file: FileHandle): Promise<void> {
    const { size } = await file.stat();
    if (size < known) {
      // Shorter than we knew: someone else repaired or replaced it; read it all again.
      known = 0;
      head = EMPTY_CHAIN;
      ids.clear();
    }
    if (size === known) return;
    const fresh = Buffer.alloc(size - known);
    await file.read(fresh, 0, fresh.length, known);
    const lastNewline = fresh.lastIndexOf(0x0a);
    const complete = lastNewline + 1;
    for (const line of fresh.subarray(0, complete).toString('utf8').split('\n')) {
      if (line === '') continue;
      let record: AuditRecord;
      try {
        record = JSON.parse(line) as AuditRecord;
      } catch {
        throw new Error(`audit log ${path} holds a record that is not JSON before its end; run \`tourniquet audit verify\``);
      }
      head = { seq: record.seq, hash: record.hash };
      if (record.id) ids.add(record.id);
    }
    const fragment = fresh.subarray(complete);
    const whole = fragment.length > 0 ? chainedRecord(fragment.toString('utf8'), head) : undefined;
    if (whole) {
      // A whole record that only lacks its newline (an edited file, not a torn write): it stays in
      // the chain; cutting it would silently drop a real event.
      await file.write(Buffer.from('\n'), 0, 1, size);
      await file.sync();
      head = { seq: whole.seq, hash: whole.hash };
      if (whole.id) ids.add(whole.id);
      known += fresh.length + 1;
      return;
    }
    if (complete < fresh.length) {
      // A crash mid-write left an unterminated last line. Keep the fragment for inspection, then
      // cut it off: every record before it is whole and stays.
      await appendFile(`${path}.torn`, `${new Date().toISOString()} offset ${known + complete}: ${fresh.subarray(complete).toString('base64')}\n`);
      await file.truncate(known + complete);
      await file.sync();
    }
    known += complete;
  }

  /** The fragment as the next record of the chain, if it is one (parses, hashes, links). */
  function chainedRecord(text: string, after: ChainHead): AuditRecord | undefined {
    try {
      const record = JSON.parse(text) as AuditRecord;
      const { hash, ...rest } = record;
      return record.seq === after.seq + 1 && record.prevHash === after.hash && recordHash(rest) === hash ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /** Under the lock, with the file caught up. */
  async function locked<T>(fn: (file: FileHandle) => Promise<T>): Promise<T> {
    dirReady ??= mkdir(dirname(path), { recursive: true });
    await dirReady;
    return withFileLock(`${path}.lock`, async () => {
      const file = await open(path, 'a+', 0o600);
      try {
        // The first append may have created the file: its fsync keeps the records, the folder's its name.
        if (!named) await syncFolder(dirname(path));
        named = true;
        await catchUp(file);
        return await fn(file);
      } finally {
        await file.close();
      }
    });
  }

  return {
    append: (events: AuditEvent[], every: number) =>
      locked(async (file) => {
        const lines: string[] = [];
        const checkpoints: ChainHead[] = [];
        let next = head;
        const batchIds = new Set<string>();
        for (const event of events) {
          if (event.id && (ids.has(event.id) || batchIds.has(event.id))) continue;
          if (event.id) batchIds.add(event.id);
          const record = sealRecord(event, next);
          lines.push(recordLine(record));
          next = { seq: record.seq, hash: record.hash };
          if (record.seq % every === 0) checkpoints.push(next);
        }
        if (lines.length === 0) return { head, checkpoints: [] };
        const bytes = Buffer.from(lines.join(''), 'utf8');
        await file.write(bytes, 0, bytes.length, null);
        await file.sync();
        known += bytes.length;
        head = next;
        for (const id of batchIds) ids.add(id);
        return { head, checkpoints };
      }),
    head: () => locked(async () => head),
  };
}
