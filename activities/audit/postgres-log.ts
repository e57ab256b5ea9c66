import { Pool, type PoolClient } from 'pg';
import type { AuditEvent } from '../audit-sink';
import { chainWriter, type ChainLog, type ChainStore, type ChainWriterOptions } from './chain-writer';
import { AUDIT_TABLE } from './postgres-schema';
import { EMPTY_CHAIN, recordLine, sealRecord, type ChainHead } from './record';

/**
 * The key of the advisory lock that serialises appends across every process: the writer may only
 * INSERT and SELECT, so it cannot lock the table or a head row; an advisory lock needs no grant.
 * The primary key on seq backs it up: a writer that skipped the lock would fail, not fork the chain.
 */
const APPEND_LOCK = 0x746f75726e; // "tourn"

/** A pool that survives the database going away: idle connections it drops are replaced on next use. */
export function auditPool(url: string, max = 4): Pool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // A server restart kills idle connections; the pool emits that here and reconnects on demand.
  pool.on('error', () => undefined);
  return pool;
}

/** Where the ledger is, for reports and file names: the URL without its password. */
export function postgresLedgerName(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname} (table ${AUDIT_TABLE})`;
  } catch {
    return `postgres (table ${AUDIT_TABLE})`;
  }
}

async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The server going away while this client is checked out: the query in flight fails with it.
  const onError = (err: Error) => void (broken ??= err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken = err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    // A connection that failed mid-transaction is dropped rather than handed to the next append.
    client.release(broken);
  }
}

async function headOf(client: Pick<PoolClient, 'query'>): Promise<ChainHead> {
  const { rows } = await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${AUDIT_TABLE} ORDER BY seq DESC LIMIT 1`);
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : EMPTY_CHAIN;
}

/**
 * The chain in PostgreSQL, one for every process: each append is a transaction that takes the
 * append lock, reads the head, leaves out event ids already on the chain, inserts the new records
 * in one statement and commits (synchronous commit: durable once it returns). A connection lost
 * mid-append rolls back whole; the caller's retry finds what did commit by event id.
 */
export function postgresChainStore(pool: Pool): ChainStore {
  return {
    async append(events: AuditEvent[], every: number) {
      if (events.length === 0) return { head: await headOf(pool), checkpoints: [] };
      return inTransaction(pool, async (client) => {
        await client.query(`SET LOCAL synchronous_commit = on`);
        await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
        let head = await headOf(client);
        const ids = [...new Set(events.flatMap((e) => (e.id ? [e.id] : [])))];
        const present = new Set<string>();
        if (ids.length > 0) {
          const { rows } = await client.query<{ event_id: string }>(`SELECT event_id FROM ${AUDIT_TABLE} WHERE event_id = ANY($1::text[])`, [ids]);
          for (const row of rows) present.add(row.event_id);
        }
        const rows = { seq: [] as number[], id: [] as (string | null)[], prev: [] as string[], hash: [] as string[], record: [] as string[] };
        const checkpoints: ChainHead[] = [];
        for (const event of events) {
          if (event.id && present.has(event.id)) continue;
          if (event.id) present.add(event.id);
          const record = sealRecord(event, head);
          rows.seq.push(record.seq);
          rows.id.push(event.id ?? null);
          rows.prev.push(record.prevHash);
          rows.hash.push(record.hash);
          rows.record.push(recordLine(record).trimEnd());
          head = { seq: record.seq, hash: record.hash };
          if (record.seq % every === 0) checkpoints.push(head);
        }
        if (rows.seq.length > 0) {
          await client.query(
            `INSERT INTO ${AUDIT_TABLE} (seq, event_id, prev_hash, hash, record)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])`,
            [rows.seq, rows.id, rows.prev, rows.hash, rows.record],
          );
        }
        return { head, checkpoints };
      });
    },
    head: () => headOf(pool),
    close: () => pool.end(),
  };
}

export interface PostgresLogOptions extends ChainWriterOptions {
  url: string;
  /** connections this process keeps (appends are serialised anyway; reads share them) */
  poolSize?: number;
}

/** The shared audit ledger (audit.postgres.url): the same interface as the file ledger. */
export function postgresLog(options: PostgresLogOptions): ChainLog {
  return chainWriter(postgresChainStore(auditPool(options.url, options.poolSize)), options);
}

/**
 * Every record as the file ledger would hold it (one canonical JSON line each, in seq order), for
 * verify and coverage to read the same way; plus any row whose columns disagree with its record
 * (its seq, event id or hash edited apart from the record).
 */
export async function readPostgresLedger(url: string): Promise<{ text: string; mismatches: { row: number; seq: number; problem: string }[] }> {
  const pool = auditPool(url, 1);
  const lines: string[] = [];
  const mismatches: { row: number; seq: number; problem: string }[] = [];
  try {
    let after = -1;
    for (;;) {
      const { rows } = await pool.query<{ seq: string; event_id: string | null; prev_hash: string; hash: string; record: string }>(
        `SELECT seq, event_id, prev_hash, hash, record FROM ${AUDIT_TABLE} WHERE seq > $1 ORDER BY seq LIMIT 5000`,
        [after],
      );
      for (const row of rows) {
        lines.push(row.record);
        const seq = Number(row.seq);
        let parsed: { seq?: unknown; id?: unknown; prevHash?: unknown; hash?: unknown } = {};
        try {
          parsed = JSON.parse(row.record) as typeof parsed;
        } catch {
          // not JSON: verifyChain reports the row
        }
        const differs = [
          parsed.seq !== seq && 'seq',
          (parsed.id ?? null) !== row.event_id && 'event_id',
          parsed.prevHash !== row.prev_hash && 'prev_hash',
          parsed.hash !== row.hash && 'hash',
        ].filter(Boolean);
        if (differs.length > 0) mismatches.push({ row: lines.length, seq, problem: `column(s) ${differs.join(', ')} of the row with seq ${seq} disagree with its record (edited)` });
      }
      if (rows.length < 5000) break;
      after = Number(rows[rows.length - 1]!.seq);
    }
  } finally {
    await pool.end();
  }
  return { text: lines.length > 0 ? `${lines.join('\n')}\n` : '', mismatches };
}
