import { maskText, maskValue, SENSITIVE_FIELDS } from '../../domain/masking';
import type { AuditEvent, AuditSink } from '../audit-sink';
import type { ChainHead } from './record';

/**
 * Where a chain is kept: the file (chain-log.ts, the embedded default) or PostgreSQL
 * (postgres-log.ts, shared by every process). Both seal records the same way (record.ts), skip
 * event ids already on the chain, and are durable when `append` returns.
 */
export interface ChainStore {
  /**
   * Seal and append, in order, the events whose ids are not on the chain yet, with every other
   * process's appends serialised against this one. Returns the heads at multiples of `every`.
   */
  append(events: AuditEvent[], every: number): Promise<{ head: ChainHead; checkpoints: ChainHead[] }>;
  /** the chain's real head, whoever wrote it */
  head(): Promise<ChainHead>;
  /** releases connections (the file store holds none) */
  close?(): Promise<void>;
}

export interface ChainWriterOptions {
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

interface Batch {
  events: AuditEvent[];
  settle: { resolve: (checkpoints: ChainHead[]) => void; reject: (err: unknown) => void }[];
}

/** The ledger interface every process appends through, whatever store holds the chain. */
export interface ChainLog extends AuditSink {
  appendAll(events: AuditEvent[]): Promise<void>;
  /** the last record's seq and hash, as this process last saw the chain */
  head(): ChainHead;
  /** anchor what this process wrote since its last anchor (at shutdown), then let go of the store */
  close(): Promise<void>;
}

/**
 * The part of the ledger that does not depend on where the chain is kept: masking, group commit
 * (appends offered while one is being written go together in the next write, so a busy process
 * makes one durable write per batch, not per event), and anchoring by count and by time.
 */
export function chainWriter(store: ChainStore, options: ChainWriterOptions): ChainLog {
  const sensitive = [...SENSITIVE_FIELDS, ...(options.sensitiveFields ?? [])];
  const every = options.anchorEvery ?? 100;
  const anchorEveryMs = options.anchorEveryMs ?? 0;
  /** the highest seq an anchor of this process covers */
  let anchored = 0;
  let timer: NodeJS.Timeout | undefined;
  let head: ChainHead = { seq: 0, hash: '0'.repeat(64) };
  // In-process writers queue here, so only one of them contends with other processes at a time.
  let queue: Promise<unknown> = Promise.resolve();
  /** events offered while a write is under way, with whoever waits for them */
  let pending: Batch | undefined;

  function masked(event: AuditEvent): AuditEvent {
    return {
      ...event,
      who: maskText(event.who),
      where: maskText(event.where),
      why: maskValue(event.why, sensitive),
      ...(event.details ? { details: maskValue(event.details, sensitive) } : {}),
    };
  }

  /** Joins the next write; one write at a time takes everything offered meanwhile. */
  function write(events: AuditEvent[]): Promise<ChainHead[]> {
    if (!pending) {
      const batch: Batch = { events: [], settle: [] };
      pending = batch;
      const run = queue.then(async () => {
        pending = undefined;
        const written = await store.append(batch.events, every);
        head = written.head;
        return written.checkpoints;
      });
      queue = run.catch(() => undefined);
      run.then(
        // The first waiter anchors the group's checkpoints; the others would only repeat them.
        (checkpoints) => batch.settle.forEach((s, i) => s.resolve(i === 0 ? checkpoints : [])),
        (err) => batch.settle.forEach((s) => s.reject(err)),
      );
    }
    const batch = pending;
    batch.events.push(...events.map(masked));
    return new Promise((resolve, reject) => batch.settle.push({ resolve, reject }));
  }

  async function anchor(at: ChainHead, reason: 'count' | 'time' | 'close'): Promise<void> {
    if (!options.anchor || at.seq <= anchored) return;
    try {
      await options.anchor(at, reason);
      anchored = Math.max(anchored, at.seq);
    } catch (err) {
      options.onAnchorError?.(err);
    }
  }

  async function anchorNow(reason: 'time' | 'close'): Promise<void> {
    const run = queue.then(async () => {
      const at = await store.head();
      head = at;
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

  async function appendAll(events: AuditEvent[]): Promise<void> {
    const checkpoints = await write(events);
    for (const checkpoint of checkpoints) await anchor(checkpoint, 'count');
    scheduleTimeAnchor();
  }

  return {
    append: (event) => appendAll([event]),
    appendAll,
    head: () => head,
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      try {
        if (head.seq > anchored) await anchorNow('close');
      } finally {
        await store.close?.();
      }
    },
  };
}
