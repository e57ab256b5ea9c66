/**
 * Does a second ingress help? Signed generic alerts posted concurrently to one ingress process,
 * then spread over two, each a separate process with its own data directory, both on the shared
 * ledger in PostgreSQL, against one Temporal dev server. No worker polls the task queue, so the
 * figure is the ingress's own (verify, normalise, store the raw payload, ledger, signalWithStart).
 * On one 2-core machine the two processes share the cores, so the ratio is a floor.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERIC_SECRET } from '../test/support/ingress-stack';
import { alertSender } from './sender';
import { freePort } from '../test/support/moto';
import { startPostgres } from '../test/support/postgres';
import { spawnProcess, type Child } from '../test/support/production-topology';
import { startDevServer, testConfig } from '../test/support/temporal';

const ALERTS = 300;
const CONCURRENCY = 16;

async function storm(urls: string[], run: string): Promise<number> {
  let next = 0;
  const senders = urls.map((url) => alertSender(url));
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < ALERTS; n = next++) {
        const res = await senders[n % urls.length]!.post({ id: `${run}-${n}`, kind: `BenchKind${n % 10}`, severity: 'high', title: `alert ${n}` });
        if (res.status !== 202) throw new Error(`ingress answered ${res.status}: ${res.body}`);
      }
    }),
  );
  const rate = (ALERTS * 1000) / (performance.now() - start);
  for (const sender of senders) sender.close();
  return rate;
}

export default async function bench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'tq-bench-ingresses-'));
  const codecKeys = `k1:${randomBytes(32).toString('base64')}`;
  const config = testConfig({ codec: { keys: codecKeys }, temporal: { taskQueue: `bench-ingresses-${Date.now()}` } });
  const [pg, temporal] = await Promise.all([startPostgres(), startDevServer(config)]);
  const children: Child[] = [];
  try {
    const db = await pg.database('bench_ingresses');
    const settings = join(root, 'tourniquet.yaml');
    writeFileSync(settings, `sources:\n  generic:\n    hmacSecret: ${GENERIC_SECRET}\n`);
    const anchorKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const urls = await Promise.all(
      ['ingress-1', 'ingress-2'].map(async (name) => {
        const keys = join(root, name, 'keys');
        mkdirSync(keys, { recursive: true, mode: 0o700 });
        writeFileSync(join(keys, 'audit-anchor.key'), anchorKey, { mode: 0o600 });
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const env = {
          ...process.env,
          TOURNIQUET_CONFIG: settings,
          TOURNIQUET_ROLE: 'ingress',
          TOURNIQUET_HOST: '127.0.0.1',
          TOURNIQUET_PORT: String(port),
          TOURNIQUET_DATA_DIR: join(root, name, 'data'),
          TOURNIQUET_KEY_DIR: keys,
          TOURNIQUET_CODEC_KEYS: codecKeys,
          TOURNIQUET_AUDIT_POSTGRES_URL: db.writerUrl,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
          TOURNIQUET_LOG_LEVEL: 'error',
        };
        await spawnProcess(children, name, [join(__dirname, '..', 'worker', 'main.ts')], env, async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true);
        return url;
      }),
    );
    await storm(urls, 'warm'); // first requests compile and connect
    const one = await storm([urls[0]!], 'one');
    const two = await storm(urls, 'two');
    console.log(`alerts/s through 1 ingress:  ${one.toFixed(0).padStart(5)}  (${ALERTS} signed alerts, ${CONCURRENCY} senders)`);
    console.log(`alerts/s through 2 ingresses: ${two.toFixed(0).padStart(5)}  = ×${(two / one).toFixed(2)} of one`);
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await temporal.teardown();
    await pg.teardown();
    rmSync(root, { recursive: true, force: true });
  }
}
