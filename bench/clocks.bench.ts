/**
 * What one worker holds open: breach clocks (durable timers toward their deadlines) and incidents
 * waiting on an approval whose timeout escalates, with the workflow cache bounded
 * (`worker.maxCachedWorkflows`), so most of them are evicted and replayed at their next task.
 * Prints, per 1000 open clocks and per 1000 open incidents, the worker process's RSS; query
 * latency for clocks still cached and for clocks long evicted (their query replays them first);
 * and how late the incidents' approval timers fired (they fire while everything is open). The
 * queries are timed once the start burst is over (the task queue's backlog drained, how long that
 * took printed too): a team's clocks accumulate over years, not in one minute.
 *
 * Default size: 1000 clocks and 200 incidents. The issue's size, 10,000 clocks and 1,000 incidents:
 * BENCH_FULL=1 (or BENCH_CLOCKS, BENCH_INCIDENTS; BENCH_CACHE sets the cache, BENCH_WORKFLOW_THREADS
 * the worker's workflow threads, BENCH_TIMER_SECONDS the approval timeout).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities, logNotifier, type Notifier } from '../activities';
import { addCalendarDays } from '../domain/hipaa';
import { deliverAlert } from '../ingress';
import type { breachClockWorkflow } from '../workflows/breach-clock';
import { BREACH_CLOCK_WORKFLOW, clockQuery } from '../workflows/breach-clock-definitions';
import { stateQuery } from '../workflows/definitions';
import { anAlert } from '../test/support/alerts';
import { RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../test/support/temporal';

const FULL = process.env.BENCH_FULL === '1';
const CLOCKS = Number(process.env.BENCH_CLOCKS ?? (FULL ? 10_000 : 1000));
const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? (FULL ? 1000 : 200));
const CACHE = process.env.BENCH_CACHE === undefined ? undefined : Number(process.env.BENCH_CACHE);
const THREADS = process.env.BENCH_WORKFLOW_THREADS === undefined ? undefined : Number(process.env.BENCH_WORKFLOW_THREADS);
/** Long enough for everything to be open (and mostly evicted) when the timers fire. */
const TIMER_SECONDS = Number(process.env.BENCH_TIMER_SECONDS ?? (FULL ? 240 : 45));
const CONCURRENCY = 32;
/** how long the start bursts may take to drain before the queries are timed anyway */
const DRAIN_CAP_MS = (FULL ? 600 : 120) * 1000;
const SAMPLE = 50;
const MB = 1024 * 1024;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ms = (xs: number[]) => (xs.length === 0 ? 'n/a' : `p50 ${percentile(sorted(xs), 50).toFixed(0)} ms, p95 ${percentile(sorted(xs), 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`);

async function pool<T>(items: T[], run: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i]!, i);
      }
    }),
  );
}

function rss(): number {
  global.gc?.();
  return process.memoryUsage().rss;
}

/** Times each query of `ids` (after the workflow answers once: a fresh clock reads its settings first). */
async function timeQueries(ids: string[], query: (id: string) => Promise<unknown>): Promise<{ latencies: number[]; failed: number; why: string }> {
  const latencies: number[] = [];
  let failed = 0;
  /** each distinct failure once, with how often it came and after how long */
  const failures = new Map<string, { n: number; ms: number }>();
  await pool(ids, async (id) => {
    const t = performance.now();
    try {
      await query(id);
      latencies.push(performance.now() - t);
    } catch (err) {
      failed += 1;
      const why = `${(err as Error).name}: ${(err as Error).message}`.slice(0, 160);
      const seen = failures.get(why) ?? { n: 0, ms: 0 };
      failures.set(why, { n: seen.n + 1, ms: Math.max(seen.ms, performance.now() - t) });
    }
  });
  return { latencies, failed, why: [...failures].map(([why, { n, ms }]) => `${n}× "${why}" (after up to ${(ms / 1000).toFixed(1)} s)`).join('; ') };
}

/** Tasks waiting in the queue's backlog (workflow and activity tasks), as the server estimates them. */
async function backlog(env: Awaited<ReturnType<typeof startDevServer>>, taskQueue: string): Promise<number> {
  let waiting = 0;
  for (const taskQueueType of [1, 2]) {
    const { stats } = await env.client.workflowService.describeTaskQueue({ namespace: env.namespace ?? 'default', taskQueue: { name: taskQueue }, taskQueueType, reportStats: true });
    waiting += Number(stats?.approximateBacklogCount ?? 0);
  }
  return waiting;
}

/** Waits until the backlog has been empty twice in a row (at most `capMs`): seconds taken and the largest backlog seen. */
async function drained(env: Awaited<ReturnType<typeof startDevServer>>, taskQueue: string, capMs: number): Promise<{ seconds: number; peak: number; left: number }> {
  const started = Date.now();
  let peak = 0;
  let empty = 0;
  let left = 0;
  while (empty < 2 && Date.now() - started < capMs) {
    left = await backlog(env, taskQueue);
    peak = Math.max(peak, left);
    empty = left === 0 ? empty + 1 : 0;
    if (empty < 2) await new Promise((r) => setTimeout(r, 1000));
  }
  return { seconds: (Date.now() - started) / 1000, peak, left };
}

/** A runbook whose gated step waits for an approval nobody gives: its timeout escalates. */
function heldOpenRunbooks(): string {
  const dir = join(tmpdir(), `tq-bench-held-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  writeFileSync(
    join(dir, 'held-open.yaml'),
    `id: held-open
title: Waits for an approval that does not come
match: [{ kinds: ["BenchHeld"] }]
steps:
  - id: gated
    type: webhook
    with: { url: "http://127.0.0.1:9/never" }
    approval: { group: responders, timeout: ${TIMER_SECONDS}s, escalateTo: leads, finalTimeout: 1h }
`,
  );
  return dir;
}

/** A notifier that remembers when each incident asked for approval and when it escalated. */
function timingNotifier(): Notifier & { asked: Map<string, number>; escalated: Map<string, number> } {
  const quiet = logNotifier({ info: () => undefined, warn: () => undefined });
  const asked = new Map<string, number>();
  const escalated = new Map<string, number>();
  return {
    ...quiet,
    asked,
    escalated,
    async requestApproval(ask) {
      if (!asked.has(ask.incidentId)) asked.set(ask.incidentId, Date.now());
    },
    async escalate(escalation) {
      if (!escalated.has(escalation.incidentId)) escalated.set(escalation.incidentId, Date.now());
    },
  };
}

export default async function clocks(): Promise<void> {
  const runbooksDir = heldOpenRunbooks();
  const config = testConfig({ runbooksDir, temporal: { taskQueue: 'bench-clocks' }, worker: { ...(CACHE === undefined ? {} : { maxCachedWorkflows: CACHE, maxConcurrentWorkflowTasks: Math.min(40, Math.max(2, CACHE)) }), ...(THREADS === undefined ? {} : { workflowThreads: THREADS }) } });
  const env = await startDevServer(config);
  const notifier = timingNotifier();
  const worker = await startWorker(env, config, createActivities(testActivityDeps({ runbooksDir, approverGroups: { responders: ['U1'], leads: ['U2'] }, notifier })));
  try {
    const baseline = rss();
    const run = Date.now().toString(36);
    const today = new Date().toISOString().slice(0, 10);
    const clockIds = Array.from({ length: CLOCKS }, (_, i) => `breach-clock/bench-${run}-${i}`);
    const started = Date.now();
    await pool(clockIds, async (id, i) => {
      // Discoveries spread over the last 50 days: every clock has timers pending, some soon.
      await env.client.workflow.start<typeof breachClockWorkflow>(BREACH_CLOCK_WORKFLOW, {
        taskQueue: config.temporal.taskQueue,
        workflowId: id,
        args: [{ id, incidentId: id.replace('breach-clock/', 'incident/'), discoveredAt: addCalendarDays(today, -(i % 50)), facts: { affected: 100 + (i % 900) } }],
      });
    });
    const clockSeconds = (Date.now() - started) / 1000;
    // Every clock has run its first task (it answers a query) before memory is read.
    const clockQuery1 = (id: string) => env.client.workflow.getHandle(id).query(clockQuery);
    const answersOnce = async (id: string) => {
      for (const until = Date.now() + 60_000; ; ) {
        try {
          return await clockQuery1(id);
        } catch (err) {
          if (Date.now() > until) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const settle = await timeQueries(clockIds.filter((_, i) => i % Math.max(1, Math.floor(CLOCKS / SAMPLE)) === 0), answersOnce);
    const clocksDrained = await drained(env, config.temporal.taskQueue, DRAIN_CAP_MS);
    const afterClocks = rss();

    const incidentsStarted = Date.now();
    const incidentIds: string[] = [];
    await pool(Array.from({ length: INCIDENTS }, (_, i) => i), async (i) => {
      const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'BenchHeld', subject: { principal: `held-${run}-${i}` }, fingerprint: `held-${run}-${i}` }));
      incidentIds.push(incidentId);
    });
    const incidentSeconds = (Date.now() - incidentsStarted) / 1000;
    // Wait until every incident asked for its approval: each is open and waiting on its timer.
    for (const until = Date.now() + 120_000; notifier.asked.size < INCIDENTS && Date.now() < until; ) await new Promise((r) => setTimeout(r, 250));
    const incidentsDrained = await drained(env, config.temporal.taskQueue, DRAIN_CAP_MS);
    const afterIncidents = rss();

    // Queries: the first clocks started are the least recently used (evicted when the cache is
    // smaller than what is open); the last ones are the most recent (cached).
    const oldest = await timeQueries(clockIds.slice(0, SAMPLE), clockQuery1);
    const newest = await timeQueries(clockIds.slice(-SAMPLE), clockQuery1);
    const spread = await timeQueries(clockIds.filter((_, i) => i % Math.max(1, Math.floor(CLOCKS / (2 * SAMPLE))) === 0), clockQuery1);
    const incidentQueries = await timeQueries(
      incidentIds.filter((_, i) => i % Math.max(1, Math.floor(INCIDENTS / SAMPLE)) === 0),
      (id) => env.client.workflow.getHandle(id).query(stateQuery),
    );

    // The approval timers fire now, with everything open: how late each escalation came.
    for (const until = Date.now() + (TIMER_SECONDS + 120) * 1000; notifier.escalated.size < notifier.asked.size && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const lateness = [...notifier.escalated].map(([id, at]) => at - notifier.asked.get(id)! - TIMER_SECONDS * 1000);
    const afterTimers = rss();

    const per1000 = (bytes: number, n: number) => `${((bytes / MB) * (1000 / Math.max(1, n))).toFixed(0)} MB per 1000`;
    const cache = config.worker.maxCachedWorkflows;
    console.log(`worker cache:                maxCachedWorkflows ${cache}, ${config.worker.workflowThreads} workflow thread(s) (${CLOCKS + INCIDENTS} workflows open: ${Math.max(0, CLOCKS + INCIDENTS - cache)} or more evicted)`);
    console.log(`open clocks started:         ${CLOCKS} in ${clockSeconds.toFixed(1)} s (${(CLOCKS / clockSeconds).toFixed(0)}/s); until first answered ${ms(settle.latencies)} (of ${SAMPLE} sampled during the burst)${settle.why && `; ${settle.failed} not within 60 s: ${settle.why}`}`);
    const drainText = (d: { seconds: number; peak: number; left: number }) =>
      `${d.left === 0 ? 'drained' : `NOT drained (${d.left} tasks left)`} in ${d.seconds.toFixed(0)} s more (at most ${d.peak} tasks waiting)`;
    console.log(`start bursts' backlog:       clocks' ${drainText(clocksDrained)}; incidents' ${drainText(incidentsDrained)}; the queries below are timed after`);
    console.log(`open incidents started:      ${INCIDENTS} in ${incidentSeconds.toFixed(1)} s, ${notifier.asked.size} waiting on approval (timeout ${TIMER_SECONDS} s)`);
    console.log(`worker process RSS:          ${(baseline / MB).toFixed(0)} MB at start; clocks +${((afterClocks - baseline) / MB).toFixed(0)} MB (${per1000(afterClocks - baseline, CLOCKS)}); incidents ${afterIncidents >= afterClocks ? `+${((afterIncidents - afterClocks) / MB).toFixed(0)} MB (${per1000(afterIncidents - afterClocks, INCIDENTS)})` : `${((afterIncidents - afterClocks) / MB).toFixed(0)} MB (the heap gave back more of the clocks' burst than they took)`}; ${(afterTimers / MB).toFixed(0)} MB after the timers (target: 10,000 clocks + 1,000 incidents within 1024 MB)`);
    console.log(`clock queries, least recent: ${ms(oldest.latencies)} (${oldest.failed} failed; evicted ones replay first)${oldest.why && `; ${oldest.why}`}`);
    console.log(`clock queries, most recent:  ${ms(newest.latencies)} (${newest.failed} failed)${newest.why && `; ${newest.why}`}`);
    console.log(`clock queries, across all:   ${ms(spread.latencies)} (${spread.failed} failed; target p95 < 1000 ms)${spread.why && `; ${spread.why}`}`);
    console.log(`incident queries:            ${ms(incidentQueries.latencies)} (${incidentQueries.failed} failed)${incidentQueries.why && `; ${incidentQueries.why}`}`);
    const late = sorted(lateness);
    console.log(
      `approval timer lateness:     ${late.length}/${notifier.asked.size} fired; ${late.length ? `p50 ${(percentile(late, 50) / 1000).toFixed(2)} s, p99 ${(percentile(late, 99) / 1000).toFixed(2)} s` : 'n/a'} (asked → escalated − timeout: two workflow tasks and an activity included; target p99 < 5 s)`,
    );
    // What is checked is the steady state: every query answered once the bursts are worked off.
    // A first answer during the burst waits for the clock's start to be reached (printed above).
    const failed = oldest.failed + newest.failed + spread.failed + incidentQueries.failed;
    if (failed > 0) throw new Error(`${failed} queries were not answered`);
    if (clocksDrained.left > 0 || incidentsDrained.left > 0) throw new Error('the start bursts were not worked off in time');
    await pool([...clockIds, ...incidentIds], async (id) => void (await env.client.workflow.getHandle(id).terminate('bench done').catch(() => undefined)));
  } finally {
    await worker.stop();
    await env.teardown();
  }
}
