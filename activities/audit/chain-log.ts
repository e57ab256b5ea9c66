import { appendFile, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { maskText, maskValue, SENSITIVE_FIELDS } from '../../domain/masking';
import type { AuditEvent, AuditSink } from '../audit-sink';
import { withFileLock } from './file-lock';
import { EMPTY_CHAIN, recordHash, recordLine, sealRecord, type AuditRecord, type ChainHead } from './record';

export interface ChainLogOptions {
  path: string;
  /** field names masked on top of domain/masking's list */
  sensitiveFields?: readonly string[];
  /** anchors the chain head (see anchors.ts): every `anchorEvery` records, and by time */
  anchor?: (head: ChainHead, reason: 'count' | 'time' | 'close') => Promise<unknown>;
  anchorEvery?: number;
  /** while the ledger grows, an anchor at least this often (0: by count only) */
  anchorEveryMs?: number;
  /** an anchor that could not be written does not lose the records; it is reported here */
  onAnchorError?: (err: unknown) => void;
}

export interface ChainLog extends AuditSink {
  appendAll(events: AuditEvent[]): Promise<void>;
  /** the last record's seq and hash, as this process last saw the file */
  head(): ChainHead;
  /** anchor what this process wrote since its last anchor (at shutdown) */
  close(): Promise<void>;
}

/**
 * The audit log: one JSON record per line, each carrying the hash of the one before it. Appends
 * take a lock file (one writer across processes), catch up with what other processes wrote, repair
 * a torn last line a crash left behind, skip event ids already present, then write and fsync.
 */
export function chainLog(options: ChainLogOptions): ChainLog {
  const { path } = options;
  const sensitive = [...SENSITIVE_FIELDS, ...(options.sensitiveFields ?? [])];
  const every = options.anchorEvery ?? 100;
  const anchorEveryMs = options.anchorEveryMs ?? 0;
  /** the highest seq an anchor of this process covers */
  let anchored = 0;
  let timer: NodeJS.Timeout | undefined;
  let head: ChainHead = EMPTY_CHAIN;
  /** bytes of the file this process has read and trusts: always ends at a line boundary */
  let known = 0;
  const ids = new Set<string>();
  // In-process writers queue here, so only one of them contends for the file lock.
  let queue: Promise<unknown> = Promise.resolve();
  let dirReady: Promise<unknown> | undefined;

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

  function masked(event: AuditEvent): AuditEvent {
    return {
      ...event,
      who: maskText(event.who),
      where: maskText(event.where),
      why: maskValue(event.why, sensitive),
      ...(event.details ? { details: maskValue(event.details, sensitive) } : {}),
    };
  }

  async function write(events: AuditEvent[]): Promise<ChainHead[]> {
    dirReady ??= mkdir(dirname(path), { recursive: true });
    await dirReady;
    return withFileLock(`${path}.lock`, async () => {
      const file = await open(path, 'a+', 0o600);
      try {
        await catchUp(file);
        const lines: string[] = [];
        const checkpoints: ChainHead[] = [];
        let next = head;
        const batchIds = new Set<string>();
        for (const event of events) {
          if (event.id && (ids.has(event.id) || batchIds.has(event.id))) continue;
          if (event.id) batchIds.add(event.id);
          const record = sealRecord(masked(event), next);
          lines.push(recordLine(record));
          next = { seq: record.seq, hash: record.hash };
          if (record.seq % every === 0) checkpoints.push(next);
        }
        if (lines.length === 0) return [];
        const bytes = Buffer.from(lines.join(''), 'utf8');
        await file.write(bytes, 0, bytes.length, null);
        await file.sync();
        known += bytes.length;
        head = next;
        for (const id of batchIds) ids.add(id);
        return checkpoints;
      } finally {
        await file.close();
      }
    });
  }

  async function anchor(at: ChainHead, reason: 'count' | 'time' | 'close'): Promise<void> {
    if (!options.anchor) return;
    try {
      await options.anchor(at, reason);
      anchored = Math.max(anchored, at.seq);
    } catch (err) {
      options.onAnchorError?.(err);
    }
  }

  /** The file's real head (other processes append too), read under the lock. */
  async function currentHead(): Promise<ChainHead> {
    dirReady ??= mkdir(dirname(path), { recursive: true });
    await dirReady;
    return withFileLock(`${path}.lock`, async () => {
      const file = await open(path, 'a+', 0o600);
      try {
        await catchUp(file);
        return head;
      } finally {
        await file.close();
      }
    });
  }

  async function anchorNow(reason: 'time' | 'close'): Promise<void> {
    const run = queue.then(async () => {
      const at = await currentHead();
      if (at.seq > anchored) await anchor(at, reason);
    });
    queue = run.catch(() => undefined);
    await run;
  }

  /** While the ledger grows, anchor within the interval even when the count is not reached. */
  function scheduleTimeAnchor(): void {
    if (!options.anchor || anchorEveryMs <= 0 || timer || head.seq <= anchored) return;
    timer = setTimeout(() => {
      timer = undefined;
      anchorNow('time').catch((err) => options.onAnchorError?.(err));
    }, anchorEveryMs);
    timer.unref();
  }

  /**
   * Group commit: appends offered while a write is under way gather into the next batch, written
   * under one lock and one fsync; each caller returns once its own events are durable. Under load
   * the ledger costs one fsync per batch, not one per event (an ingress answering many webhooks).
   */
  let gathering: { events: AuditEvent[]; done: Promise<void> } | undefined;

  function appendAll(events: AuditEvent[]): Promise<void> {
    if (gathering) {
      gathering.events.push(...events);
      return gathering.done;
    }
    const batch: { events: AuditEvent[]; done: Promise<void> } = { events: [...events], done: Promise.resolve() };
    gathering = batch;
    const run = queue.then(() => {
      // Its turn: the batch closes; later appends gather into the next one.
      if (gathering === batch) gathering = undefined;
      return write(batch.events);
    });
    queue = run.catch(() => undefined);
    batch.done = run.then(async (checkpoints) => {
      for (const checkpoint of checkpoints) await anchor(checkpoint, 'count');
      scheduleTimeAnchor();
    });
    return batch.done;
  }

  return {
    append: (event) => appendAll([event]),
    appendAll,
    head: () => head,
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (head.seq > anchored) await anchorNow('close');
    },
  };
}
