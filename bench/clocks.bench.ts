/**
 * Breach clocks: how many open clocks one worker holds. Starts BENCH_CLOCKS clocks (default 1000)
 * on a Temporal dev server, each sleeping on durable timers toward its deadlines, then queries a
 * sample and prints start rate, query latency and the worker process's memory before and after.
 * Every clock must answer; a missing one fails the run.
 */
import { createActivities } from '../activities';
import { addCalendarDays } from '../domain/hipaa';
import type { breachClockWorkflow } from '../workflows/breach-clock';
import { BREACH_CLOCK_WORKFLOW, clockQuery } from '../workflows/breach-clock-definitions';
import { startDevServer, startWorker, testActivityDeps, testConfig } from '../test/support/temporal';

const CLOCKS = Number(process.env.BENCH_CLOCKS ?? 1000);
const CONCURRENCY = 32;
const SAMPLE = 100;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function pool<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

export default async function clocks(): Promise<void> {
  const config = testConfig({ temporal: { taskQueue: 'bench-clocks' } });
  const env = await startDevServer(config);
  const worker = await startWorker(env, config, createActivities(testActivityDeps()));
  try {
    global.gc?.();
    const before = process.memoryUsage();
    const run = Date.now().toString(36);
    const today = new Date().toISOString().slice(0, 10);
    const ids = Array.from({ length: CLOCKS }, (_, i) => `breach-clock/bench-${run}-${i}`);
    const started = Date.now();
    await pool(ids, async (id) => {
      // Discoveries spread over the last 50 days: every clock has timers pending, some soon.
      const discoveredAt = addCalendarDays(today, -(Number(id.split('-').pop()) % 50));
      await env.client.workflow.start<typeof breachClockWorkflow>(BREACH_CLOCK_WORKFLOW, {
        taskQueue: config.temporal.taskQueue,
        workflowId: id,
        args: [{ id, incidentId: id.replace('breach-clock/', 'incident/'), discoveredAt, facts: { affected: 100 + (Number(id.split('-').pop()) % 900) } }],
      });
    });
    const startSeconds = (Date.now() - started) / 1000;

    const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(CLOCKS / SAMPLE)) === 0);
    const latencies: number[] = [];
    let answered = 0;
    await pool(sample, async (id) => {
      // A clock reads its settings (one activity) before it answers: wait for that, then time a query.
      const handle = env.client.workflow.getHandle(id);
      for (let i = 0; i < 300; i++) {
        const ok = await handle.query(clockQuery).then(() => true, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const t = performance.now();
      const view = await handle.query(clockQuery);
      latencies.push(performance.now() - t);
      if (view.obligations.length > 0) answered += 1;
    });
    latencies.sort((a, b) => a - b);
    global.gc?.();
    const after = process.memoryUsage();
    console.log(`open clocks started:        ${CLOCKS} in ${startSeconds.toFixed(1)} s (${(CLOCKS / startSeconds).toFixed(0)}/s)`);
    console.log(`sample queried:             ${answered}/${sample.length} answered; p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`);
    console.log(`worker process RSS:         ${mb(before.rss)} → ${mb(after.rss)} (${mb(after.rss - before.rss)} for ${CLOCKS} clocks)`);
    console.log(`worker process heap used:   ${mb(before.heapUsed)} → ${mb(after.heapUsed)}`);
    if (answered !== sample.length) throw new Error(`${sample.length - answered} clocks did not answer`);
    await pool(ids, async (id) => void (await env.client.workflow.getHandle(id).terminate('bench done')));
  } finally {
    await worker.stop();
    await env.teardown();
  }
}
