import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { AUDIT_SCHEMA_SQL, auditGrantsSql } from '../../activities/audit/postgres-schema';
import { freePort } from './moto';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'ensure-postgres');

/** The roles every test database grants: the ledger's writer and an examiner's read-only role. */
export const WRITER_ROLE = 'tq_writer';
export const READER_ROLE = 'tq_reader';

export interface TestDatabase {
  name: string;
  /** the database's owner (a superuser): schema, and the tampering tests */
  adminUrl: string;
  /** what Tourniquet's processes connect as: INSERT and SELECT on the ledger */
  writerUrl: string;
  /** what an examiner's `audit verify` connects as: SELECT only */
  readerUrl: string;
}

export interface TestPostgres {
  port: number;
  /** a new database with the ledger's table, grants for the writer and the reader */
  database(name?: string): Promise<TestDatabase>;
  /** the server stops (`immediate`: as if it crashed) and its port refuses connections */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** starts again on the same port and data directory */
  start(): Promise<void>;
  teardown(): Promise<void>;
}

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A real PostgreSQL server of the test's own: binaries found or installed by the project's script
 * (scripts/ensure-postgres), a new cluster in a temp directory, listening on a loopback port.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'tq-pg-'));
  // As root the server runs as the postgres account (see the script): it must get through this folder.
  chmodSync(root, 0o711);
  const dir = join(root, 'data');
  const port = await freePort();
  const start = async () => {
    await run('bash', [SCRIPT, 'start', dir, String(port)], { timeout: 120_000 });
  };
  await start();
  const at = (user: string, db: string) => `postgres://${user}@127.0.0.1:${port}/${db}`;
  await sql(at('postgres', 'postgres'), `CREATE ROLE ${WRITER_ROLE} LOGIN; CREATE ROLE ${READER_ROLE} LOGIN;`);
  let databases = 0;
  let running = true;
  return {
    port,
    async database(name = `ledger_${++databases}`) {
      await sql(at('postgres', 'postgres'), `CREATE DATABASE ${name}`);
      await sql(at('postgres', name), `${AUDIT_SCHEMA_SQL}\n${auditGrantsSql(WRITER_ROLE, READER_ROLE)}`);
      return { name, adminUrl: at('postgres', name), writerUrl: at(WRITER_ROLE, name), readerUrl: at(READER_ROLE, name) };
    },
    async stop(mode = 'fast') {
      await run('bash', [SCRIPT, 'stop', dir, mode], { timeout: 120_000 });
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async teardown() {
      if (running) await run('bash', [SCRIPT, 'stop', dir, 'immediate'], { timeout: 120_000 }).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Runs SQL as the database's owner (tests that tamper with the ledger the way an intruder would). */
export async function asOwner(url: string, text: string, values: unknown[] = []): Promise<{ rows: Record<string, unknown>[] }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}
