/**
 * Alert storm: thousands of signed generic alerts (several per delivery, a share of deliveries
 * sent twice as a sender retry would) posted concurrently over HTTP to the ingress, backed by a
 * Temporal dev server and a worker. Prints accepted alerts/s, webhook latency, incidents created,
 * and checks every alert landed exactly once: duplicates and lost alerts must both be 0.
 */
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../activities';
import { createIngressApp, ingressDepsFrom, listen } from '../ingress';
import { createMetrics } from '../ingress/metrics';
import { stateQuery } from '../workflows/definitions';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../test/support/temporal';

const ALERTS = 3_000;
const ALERTS_PER_DELIVERY = 5;
const KINDS = 20; // distinct storms: each should be exactly one incident
const RETRIED_SHARE = 0.1; // deliveries sent twice, as a sender retrying after a timeout would
const CONCURRENCY = 32;
const SECRET = 'bench-generic-secret-000000000000';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function signed(body: string): Record<string, string> {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-tourniquet-signature': `t=${t},v1=${v1}` };
}

function deliveries(run: string): string[] {
  const bodies: string[] = [];
  for (let start = 0; start < ALERTS; start += ALERTS_PER_DELIVERY) {
    const alerts = Array.from({ length: ALERTS_PER_DELIVERY }, (_, j) => {
      const n = start + j;
      return { id: `${run}-${n}`, kind: `StormKind${n % KINDS}`, severity: 'high', title: `storm alert ${n}`, subject: { principal: `svc-${run}` } };
    });
    bodies.push(JSON.stringify({ alerts }));
  }
  const retries = bodies.filter((_, i) => i % Math.round(1 / RETRIED_SHARE) === 0);
  return [...bodies, ...retries];
}

export default async function alertStorm(): Promise<void> {
  const runbooksDir = join(tmpdir(), `tq-bench-runbooks-${process.pid}`);
  mkdirSync(runbooksDir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(runbooksDir, 'triage.yaml'));
  const config = testConfig({ runbooksDir, sources: { generic: { hmacSecret: SECRET } } });
  const env = await startDevServer(config);
  const worker = await startWorker(env, config, createActivities(testActivityDeps({ runbooksDir })));
  const server = await listen(
    createIngressApp(ingressDepsFrom(config, env.client, { audit: memoryAudit(), metrics: createMetrics() })),
    '127.0.0.1',
    0,
  );
  try {
    const run = Date.now().toString(36);
    const queue = deliveries(run);
    const latencies: number[] = [];
    const incidents = new Set<string>();
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let body = queue.shift(); body !== undefined; body = queue.shift()) {
          const t0 = performance.now();
          const res = await fetch(`${server.url}/alerts/generic`, { method: 'POST', headers: signed(body), body });
          const json = (await res.json()) as { incidents?: string[] };
          latencies.push(performance.now() - t0);
          if (res.status !== 202) failed += 1;
          for (const id of json.incidents ?? []) incidents.add(id);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    // Every unique alert must be counted exactly once by its incident.
    let counted = 0;
    for (let attempt = 0; attempt < 150; attempt++) {
      const states = await Promise.all([...incidents].map((id) => env.client.workflow.getHandle(id).query(stateQuery)));
      counted = states.reduce((sum, s) => sum + s.alertCount, 0);
      if (counted >= ALERTS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    let workflows = 0;
    for await (const wf of env.client.workflow.list({ query: `WorkflowType = 'incidentWorkflow'` })) if (incidents.has(wf.workflowId)) workflows += 1;

    latencies.sort((a, b) => a - b);
    const deliveriesSent = latencies.length;
    console.log(`deliveries sent:       ${deliveriesSent} (${ALERTS_PER_DELIVERY} alerts each, ${Math.round(RETRIED_SHARE * 100)}% sent twice), ${failed} not accepted`);
    console.log(`accepted alerts/s:     ${Math.round((deliveriesSent * ALERTS_PER_DELIVERY) / seconds)} (${ALERTS} unique alerts in ${seconds.toFixed(1)} s, ${CONCURRENCY} concurrent senders)`);
    console.log(`webhook latency:       p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
    console.log(`incidents created:     ${workflows} (expected ${KINDS}: one per storm)`);
    console.log(`duplicates:            ${Math.max(0, counted - ALERTS)}`);
    console.log(`lost alerts:           ${Math.max(0, ALERTS - counted)}`);
    if (counted !== ALERTS || workflows !== KINDS || failed > 0) throw new Error('alert storm: alerts were lost, duplicated or refused');
  } finally {
    await server.close();
    await worker.stop();
    await env.teardown();
  }
}
