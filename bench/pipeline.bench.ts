/**
 * The alert pipeline on one machine, side by side in one run (bounded well under 90 s):
 *  1. the ceiling: signalWithStart calls/s a bare Temporal client gets from the dev server;
 *  2. the ingress's own overhead: signed webhooks through the ingress with no worker polling (the
 *     same server work as the ceiling, plus authentication, parsing, the raw store and the ledger),
 *     in rounds alternating with the ceiling's, as a ratio of it; then the ingress end to end
 *     with the worker running, as a ratio too; and the CPU each call costs this process and the
 *     server, which on two cores is what the rates come down to, and what 90 % of the ceiling
 *     leaves the ingress beside what its parsing and durable writes alone cost;
 *  3. alert → first containment action latency (p50, p99): the runbook's first, ungated step
 *     calls a local HTTP endpoint, which records when it is reached; one alert at a time (the
 *     path's own round trips), then a few in flight (each waiting behind the others' work on two
 *     shared cores); and the Temporal round trips on that path, counted from one incident's
 *     history (workflow tasks and activity tasks before the action, and what else the incident
 *     scheduled: audit batches, announces); and the floor: the same round trips in an empty
 *     workflow (bench/floor-workflow.ts) on the same server, without and with as many do-nothing
 *     activities after the action as the incident schedules;
 *  4. open incidents one worker holds at once, with the memory they cost.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../activities';
import { auditLogFor } from '../activities/audit';
import { stateQuery } from '../workflows/definitions';
import { Worker } from '@temporalio/worker';
import { createDataConverter } from '../platform/data-converter';
import { workerTuning } from '../worker/worker';
import type { FloorActivities } from './floor-workflow';
import { ingressOn, stackSettings } from '../test/support/ingress-stack';
import { cpuMeter, cpuText, onSeparateCores } from './cpu';
import { evidenceStoreFor } from '../activities/evidence/from-config';
import { evidenceRawStore } from '../ingress/raw-store';
import { parseDelivery } from '../ingress/alerts/parse-delivery';
import { normalise } from '../ingress/alerts/normalise';
import { recordAcceptance } from '../ingress/alerts/rejections';
import { WEBHOOK_SOURCE_SPECS } from '../ingress/alerts/sources';
import { incidentIdFor } from '../domain/ids';
import { alertSender } from './sender';
import type { Config } from '../platform/config';
import { RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../test/support/temporal';

/** the ceiling and the ingress alternate: this many rounds of ROUND_CALLS calls each */
const RATE_ROUNDS = 5;
/** on separate cores, where the server's rate swings more from round to round, twice as many */
const APART_ROUNDS = 10;
const ROUND_CALLS = 120;
const RATE_CALLS = 300;
/** uncounted calls before each rate is measured */
const WARM_UP_CALLS = 100;
const CONCURRENCY = 32;
/** alerts sent one at a time, each this long after the one before reached its first action */
const ALONE_ALERTS = 20;
const ALONE_GAP_MS = 250;
const ALONE_WARM_UP = 3;
const LATENCY_ALERTS = 60;
const LATENCY_CONCURRENCY = 4;
/** the floor's: as many do-nothing activities after the action as an incident schedules after its first (recordAudit ×2, announceIncident ×2) */
const FLOOR_FOLLOW_UPS = 4;
const OPEN_INCIDENTS = 300;
const PHASE_BUDGET_MS = 12_000;
/** long enough for the latency phase's incidents to finish what follows their first action */
const SETTLE_MS = 3_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** Run `work(i)` for i < n with `concurrency` in flight; stops starting new work after the budget. */
async function pool(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<{ done: number; ms: number }> {
  const started = performance.now();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n && performance.now() - started < PHASE_BUDGET_MS) {
        await work(next++);
        done += 1;
      }
    }),
  );
  return { done, ms: performance.now() - started };
}

/** One path's rate and CPU per call, summed over the rounds it was measured in. */
class Rounds {
  private calls = 0;
  private ms = 0;
  private self = 0;
  private server: number | undefined = 0;
  readonly rates: number[] = [];

  async measure(call: () => Promise<void>): Promise<void> {
    const cpu = cpuMeter();
    const { done, ms } = await pool(ROUND_CALLS, CONCURRENCY, call);
    const used = cpu(done);
    this.calls += done;
    this.ms += ms;
    this.self += used.self * done;
    this.server = this.server === undefined || used.server === undefined ? undefined : this.server + used.server * done;
    this.rates.push((done / ms) * 1000);
  }

  rate(): number {
    return (this.calls / this.ms) * 1000;
  }

  cpu(): { self: number; server: number | undefined } {
    return { self: this.self / this.calls, server: this.server === undefined ? undefined : this.server / this.calls };
  }
}

/** A containment target: remembers when each principal's call arrived. */
async function containmentTarget() {
  const arrivals = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { payload?: { principal?: string } };
      if (body.payload?.principal && !arrivals.has(body.payload.principal)) arrivals.set(body.payload.principal, at);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** ms from `sent` until `principal`'s call arrived, waiting up to 10 s; undefined if it did not */
  const reached = async (principal: string, sent: number) => {
    for (let waited = 0; !arrivals.has(principal) && waited < 10_000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    const at = arrivals.get(principal);
    return at === undefined ? undefined : at - sent;
  };
  return { url, reached, firstIncident: '', close: () => new Promise<void>((done) => server.close(() => done())) };
}

/**
 * The Temporal round trips between an incident's start and its first containment action: workflow
 * tasks completed and activity tasks scheduled before the webhook activity was, from its history.
 */
async function roundTrips(env: Awaited<ReturnType<typeof startDevServer>>, workflowId: string) {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  let workflowTasks = 0;
  let localActivities = 0;
  const activitiesBefore: string[] = [];
  let activitiesAfter = 0;
  const byType = new Map<string, number>();
  let reached = false;
  for (const event of history.events ?? []) {
    if (event.activityTaskScheduledEventAttributes) {
      const type = event.activityTaskScheduledEventAttributes.activityType?.name ?? '?';
      byType.set(type, (byType.get(type) ?? 0) + 1);
      if (reached) activitiesAfter += 1;
      if (type === 'callWebhook') reached = true;
      if (!reached) activitiesBefore.push(type);
    }
    if (reached) continue;
    if (event.workflowTaskCompletedEventAttributes) workflowTasks += 1;
    if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') localActivities += 1;
  }
  // The task that scheduled the action is counted: its completion event comes before the command's.
  return {
    workflowTasks,
    activitiesBefore,
    activitiesAfter,
    localActivities,
    events: history.events?.length ?? 0,
    activities: [...byType].map(([type, n]) => `${type} ×${n}`).join(', '),
  };
}

/**
 * The first action's floor: the same round trips with nothing of Tourniquet's in them
 * (bench/floor-workflow.ts: a bare client's `signalWithStart`, one activity, the action, then
 * `followUps` activities doing nothing), on this worker's tuning and data converter, LATENCY_ALERTS
 * with LATENCY_CONCURRENCY in flight. What the target leaves for the incident's own work is the
 * difference between this and 150 ms.
 */
async function emptyWorkflowRuns(env: Awaited<ReturnType<typeof startDevServer>>, config: Config, target: Awaited<ReturnType<typeof containmentTarget>>, run: string) {
  // The same kept-alive sender as the alerts', posting what the containment target reads.
  const sender = alertSender(target.url, '/contain');
  const post = async (principal: string) => void (await sender.post({ payload: { principal } }));
  const activities: FloorActivities = { prepare: async (principal) => principal, action: post, followUp: async () => undefined };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: 'bench-floor',
    workflowsPath: require.resolve('./floor-workflow'),
    activities,
    dataConverter: createDataConverter(config),
    ...workerTuning(config.worker),
  });
  const running = worker.run();
  const measured: { followUps: number; latencies: number[]; cpu: ReturnType<ReturnType<typeof cpuMeter>> }[] = [];
  try {
    let n = 0;
    const one = async (followUps: number) => {
      const principal = `floor-${run}-${n++}`;
      const sent = performance.now();
      await env.client.workflow.signalWithStart('floorWorkflow', { workflowId: `bench/${principal}`, taskQueue: 'bench-floor', args: [followUps], signal: 'alert', signalArgs: [{ principal }] });
      return target.reached(principal, sent);
    };
    for (const followUps of [0, FLOOR_FOLLOW_UPS]) {
      for (let i = 0; i < ALONE_WARM_UP; i++) await one(followUps);
      const latencies: number[] = [];
      const cpu = cpuMeter();
      await pool(LATENCY_ALERTS, LATENCY_CONCURRENCY, async () => {
        const latency = await one(followUps);
        if (latency !== undefined) latencies.push(latency);
      });
      // Each run's follow-ups finish before the next run starts, and are in its CPU.
      await new Promise((r) => setTimeout(r, 1_000));
      latencies.sort((a, b) => a - b);
      measured.push({ followUps, latencies, cpu: cpu(latencies.length) });
    }
  } finally {
    worker.shutdown();
    await running;
    sender.close();
  }
  return measured;
}

function benchRunbooks(targetUrl: string): string {
  const dir = join(tmpdir(), `tq-bench-pipeline-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  writeFileSync(
    join(dir, 'contain-fast.yaml'),
    `id: contain-fast
title: First containment action without approval
match: [{ kinds: ["BenchContain"] }]
steps:
  - id: first-action
    type: webhook
    with: { url: "${targetUrl}/contain", payload: { principal: "\${alert.subject.principal}" } }
`,
  );
  writeFileSync(
    join(dir, 'held-open.yaml'),
    `id: held-open
title: Waits for an approval that does not come
match: [{ kinds: ["BenchHold*"] }]
steps:
  - id: gated
    type: webhook
    with: { url: "${targetUrl}/never" }
    approval: { group: responders, timeout: 1h, finalTimeout: 1h }
`,
  );
  return dir;
}

export default async function pipeline(): Promise<void> {
  const target = await containmentTarget();
  const runbooksDir = benchRunbooks(target.url);
  const config = testConfig(stackSettings({ runbooksDir }));
  const env = await startDevServer(config);
  // The ledger the processes write (a file chain in the data directory, anchors included): the
  // ingress records each acceptance on it before its 202, and the worker its audit batches.
  const ledger = auditLogFor(config);
  const run = Date.now().toString(36);
  try {
    // 1. The ceiling: no worker polls this queue, so only the server's acceptance is measured.
    let call = 0;
    const rawStart = async () => {
      const i = call++;
      const workflowId = `incident/bench-raw-${run}-${i}`;
      await env.client.workflow.signalWithStart('incidentWorkflow', {
        workflowId,
        taskQueue: 'bench-ceiling',
        args: [{ id: workflowId, requester: 'bench' }],
        signal: 'alert',
        signalArgs: [{ deliveryId: `d${i}` }],
      });
    };
    // 2a. The ingress with no worker: another queue nobody polls, so the server does the same work.
    const idleConfig = testConfig(stackSettings({ runbooksDir, dataDir: config.dataDir, temporal: { taskQueue: 'bench-ingress-only' } }));
    const idle = await ingressOn(env, idleConfig, ledger);
    const idleSender = alertSender(idle.server.url);
    const signedWebhook = async () => {
      const i = call++;
      const res = await idleSender.post({ kind: `BenchIdle${i}`, title: 'bench', severity: 'low', subject: { principal: `i-${run}-${i}` } });
      if (res.status !== 202) throw new Error(`ingress answered ${res.status}`);
    };
    // What any HTTP ingress in this process costs before it does anything: the sender and a bare
    // server answering each request, with no Temporal call at all.
    const floorSender = alertSender(target.url, '/contain');
    const bareAnswer = async () => void (await floorSender.post({ kind: 'BenchFloor', title: 'bench', severity: 'low', subject: { principal: `f-${run}-${call++}` } }));
    // The ingress's own work with neither HTTP nor Temporal: parsing, the raw payload stored
    // (fsynced, folder synced) and the acceptance on the ledger, as the alert route does them.
    const rawStore = evidenceRawStore(evidenceStoreFor(idleConfig));
    const ingressWork = async () => {
      const i = call++;
      const body = Buffer.from(JSON.stringify({ kind: `BenchWork${i}`, title: 'bench', severity: 'low', subject: { principal: `w-${run}-${i}` } }));
      const rawRef = await rawStore.put('generic', body);
      const alerts = parseDelivery(WEBHOOK_SOURCE_SPECS.generic, body).map((a, n) => normalise('generic', a, rawRef, n, new Date()));
      const context = { source: 'generic', remoteAddress: '127.0.0.1', correlationId: `bench-${i}` };
      await recordAcceptance({ audit: ledger }, context, alerts, alerts.map((a) => incidentIdFor(a.fingerprint)));
    };
    let ceiling: Rounds;
    let ingressOnly: Rounds;
    let floor: Rounds;
    let work: Rounds;
    let apart: { result: { ceiling: Rounds; ingressOnly: Rounds }; cpus: string } | undefined;
    try {
      // Each path is warmed up first, uncounted (connections, JIT), so neither is measured cold.
      for (const path of [rawStart, signedWebhook, bareAnswer, ingressWork]) await pool(WARM_UP_CALLS, CONCURRENCY, path);
      // The server's cost per call grows as its database fills during the run (by half within a
      // minute here), so the two paths alternate in rounds and each sees the same server.
      const alternating = async (rounds: number) => {
        const measured = { ceiling: new Rounds(), ingressOnly: new Rounds() };
        for (let round = 0; round < rounds; round++) {
          await measured.ceiling.measure(rawStart);
          await measured.ingressOnly.measure(signedWebhook);
        }
        return measured;
      };
      ({ ceiling, ingressOnly } = await alternating(RATE_ROUNDS));
      floor = new Rounds();
      await floor.measure(bareAnswer);
      work = new Rounds();
      await work.measure(ingressWork);
      // The same alternation with the server on a core of its own and the ingress on the rest, as
      // in production where they do not share hosts: what the ingress adds to the server's rate
      // once its CPU is not taken from the server's.
      apart = await onSeparateCores(() => alternating(APART_ROUNDS));
    } finally {
      floorSender.close();
      idleSender.close();
      await idle.server.close();
    }
    const rawRate = ceiling.rate();
    const ingressOnlyRate = ingressOnly.rate();

    const memoryBefore = process.memoryUsage();
    const activities = createActivities(testActivityDeps({ runbooksDir, audit: ledger }));
    const { stop } = await startWorker(env, config, activities);
    const { server } = await ingressOn(env, config, ledger);
    const sender = alertSender(server.url);
    try {
      // 3 (run first, before the flood leaves the worker a backlog). Alert → first containment action, with nothing waiting on a person.
      const firstAction = async (principal: string) => {
        const sent = performance.now();
        const res = await sender.post({ kind: 'BenchContain', title: 'bench', severity: 'high', subject: { principal } });
        if (res.status !== 202) throw new Error(`ingress answered ${res.status}`);
        const answer = performance.now() - sent;
        return { answer, latency: await target.reached(principal, sent), incident: (JSON.parse(res.body) as { incidents: string[] }).incidents[0]! };
      };
      // One at a time, each once the one before has done what follows its first action: the
      // path's own round trips, with no other incident's work in the queue.
      // The worker's first incidents (its sandbox, the JIT) go uncounted, as each rate's warm-up does.
      for (let i = 0; i < ALONE_WARM_UP; i++) await firstAction(`warm-${run}-${i}`);
      const alone: number[] = [];
      for (let i = 0; i < ALONE_ALERTS; i++) {
        const { latency } = await firstAction(`alone-${run}-${i}`);
        if (latency !== undefined) alone.push(latency);
        await new Promise((r) => setTimeout(r, ALONE_GAP_MS));
      }
      alone.sort((a, b) => a - b);
      // Then a few in flight, as when alerts come in together.
      const latencies: number[] = [];
      // The part of it that is the ingress's answer (signature, stores, signalWithStart).
      const answers: number[] = [];
      const incidentCpuMeter = cpuMeter();
      await pool(LATENCY_ALERTS, LATENCY_CONCURRENCY, async (i) => {
        const { answer, latency, incident } = await firstAction(`lat-${run}-${i}`);
        answers.push(answer);
        if (i === 0) target.firstIncident = incident;
        if (latency !== undefined) latencies.push(latency);
      });
      // What each incident costs, its work after the first action included (audit, announce): on
      // two cores this, not a round trip, is what bounds the latency with a few in flight.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const incidentCpu = incidentCpuMeter(latencies.length);
      latencies.sort((a, b) => a - b);
      answers.sort((a, b) => a - b);
      const trips = await roundTrips(env, target.firstIncident);
      // The same round trips with nothing of Tourniquet's in them, on the same server a moment later.
      const emptyRuns = await emptyWorkflowRuns(env, config, target, run);

      // 2. The ingress end to end: signed webhook → parsed, stored, signalWithStart → 202.
      const ingress = await pool(RATE_CALLS, CONCURRENCY, async (i) => {
        const res = await sender.post({ kind: `BenchUnmatched${i}`, title: 'bench', severity: 'low', subject: { principal: `p-${run}-${i}` } });
        if (res.status !== 202) throw new Error(`ingress answered ${res.status}`);
      });
      const ingressRate = (ingress.done / ingress.ms) * 1000;

      // 4. Incidents held open (waiting for approval) by this one worker, and what they cost.
      global.gc?.();
      const memoryHeld = process.memoryUsage();
      const opened: string[] = [];
      await pool(OPEN_INCIDENTS, CONCURRENCY, async (i) => {
        const res = await sender.post({ kind: `BenchHold${i}`, title: 'held', severity: 'medium', subject: { principal: `h-${run}-${i}` } });
        opened.push((JSON.parse(res.body) as { incidents: string[] }).incidents[0]!);
      });
      const sampleIds = opened.filter((_, i) => i % Math.max(1, Math.floor(opened.length / 20)) === 0);
      const waitUntil = performance.now() + PHASE_BUDGET_MS;
      let waiting = 0;
      while (performance.now() < waitUntil) {
        // A busy worker may not answer a query in time: that sample counts as not waiting yet.
        const states = await Promise.all(sampleIds.map((id) => env.client.workflow.getHandle(id).query(stateQuery).catch(() => undefined)));
        waiting = states.filter((s) => s?.steps[0]?.status === 'awaiting-approval').length;
        if (waiting === sampleIds.length) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      global.gc?.();
      const memoryAfter = process.memoryUsage();
      let openNow = 0;
      for await (const _ of env.client.workflow.list({ query: "WorkflowType = 'incidentWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = 'tourniquet'" })) openNow += 1;

      const pct = (rate: number) => `${((rate / rawRate) * 100).toFixed(0)}% of the ceiling`;
      const each = (r: Rounds) => r.rates.map((x) => x.toFixed(0)).join(', ');
      console.log(`signalWithStart ceiling (bare client)     ${rawRate.toFixed(0)} starts/s  (rounds: ${each(ceiling)}; ${RATE_ROUNDS} × ${ROUND_CALLS} calls, ${CONCURRENCY} in flight)`);
      console.log(`ingress, no worker (signed webhook → 202)  ${ingressOnlyRate.toFixed(0)} alerts/s  = ${pct(ingressOnlyRate)} (target ≥ 90%; rounds: ${each(ingressOnly)}, alternating with the ceiling's)`);
      if (apart) {
        const { ceiling: apartCeiling, ingressOnly: apartIngress } = apart.result;
        const ratio = ((apartIngress.rate() / apartCeiling.rate()) * 100).toFixed(0);
        console.log(
          `the same on separate cores                 ceiling ${apartCeiling.rate().toFixed(0)} starts/s, ingress ${apartIngress.rate().toFixed(0)} alerts/s = ${ratio}% of it ` +
            `(the server on CPU 0, this process on CPU ${apart.cpus}; rounds: ${each(apartCeiling)} and ${each(apartIngress)}); CPU per call: bare ${cpuText(apartCeiling.cpu())}, webhook ${cpuText(apartIngress.cpu())}`,
        );
      } else console.log('the same on separate cores                 not measured (needs two CPUs, the dev server as a child and taskset)');
      console.log(`ingress end to end, worker running         ${ingressRate.toFixed(0)} alerts/s  = ${pct(ingressRate)}`);
      console.log(
        `CPU per call                               bare signalWithStart ${cpuText(ceiling.cpu())}; signed webhook, no worker ${cpuText(ingressOnly.cpu())}; ` +
          `of that the sender and a bare HTTP answer (no Temporal call) ${floor.cpu().self.toFixed(2)} ms`,
      );
      // On shared cores a rate is the cores' time over the CPU per call (both processes), so 90 %
      // of the ceiling leaves the webhook a ninth of the bare call's CPU on top of it.
      const total = (c: { self: number; server: number | undefined }) => c.self + (c.server ?? 0);
      console.log(
        `what 90% leaves the ingress (shared cores)  ${(total(ceiling.cpu()) / 9).toFixed(2)} ms per call on top of the bare call's ${total(ceiling.cpu()).toFixed(2)} ms; ` +
          `it adds ${(total(ingressOnly.cpu()) - total(ceiling.cpu())).toFixed(2)} ms, of which parsing, the raw payload's store and the ledger's acceptance alone take ${work.cpu().self.toFixed(2)} ms (32 at once, no HTTP, no Temporal)`,
      );
      const ms = (p: number, of = latencies) => (of.length > 0 ? `${percentile(of, p).toFixed(0)} ms` : 'n/a');
      console.log(`alert → first action, one at a time       p50 ${ms(50, alone)}  p90 ${ms(90, alone)}  max ${ms(100, alone)}  (${alone.length}/${ALONE_ALERTS} reached, each sent ${ALONE_GAP_MS} ms after the one before reached it, after ${ALONE_WARM_UP} uncounted)`);
      console.log(
        `alert → first containment action          p50 ${ms(50)}  p99 ${ms(99)}  (${latencies.length}/${LATENCY_ALERTS} reached, ${LATENCY_CONCURRENCY} in flight); ` +
          `of it the ingress's 202: p50 ${percentile(answers, 50).toFixed(0)} ms, p99 ${percentile(answers, 99).toFixed(0)} ms`,
      );
      for (const f of emptyRuns) {
        const what = f.followUps === 0 ? 'the path alone' : `and ${f.followUps} do-nothing activities after it (the incident schedules ${trips.activitiesAfter})`;
        console.log(
          `the floor: an empty workflow, same path     p50 ${ms(50, f.latencies)}  p99 ${ms(99, f.latencies)}  (${f.latencies.length}/${LATENCY_ALERTS} reached, ${LATENCY_CONCURRENCY} in flight, bare client → one activity → the action, ${what}); CPU per run ${cpuText(f.cpu)}`,
        );
      }
      console.log(`CPU per incident                           ${cpuText(incidentCpu)} (the worker, the ingress and the sender are here), over the ${latencies.length} above`);
      console.log(
        `round trips before the first action        ${trips.workflowTasks} workflow task(s), ${trips.activitiesBefore.length} other activity task(s) scheduled before it (${trips.activitiesBefore.join(', ') || 'none'}), ${trips.localActivities} local activity; the incident's history: ${trips.events} events, activities ${trips.activities}`,
      );
      console.log(
        `open incidents on one worker               ${openNow} open (${waiting}/${sampleIds.length} sampled waiting on approval); process RSS ${mb(memoryAfter.rss)} MB (+${mb(memoryAfter.rss - memoryBefore.rss)} MB since the worker started, the floor's worker included; +${mb(memoryAfter.rss - memoryHeld.rss)} MB while the ${OPEN_INCIDENTS} held open started), heap ${mb(memoryAfter.heapUsed)} MB`,
      );
    } finally {
      sender.close();
      await server.close();
      await stop();
    }
  } finally {
    await ledger.close();
    await env.teardown();
    await target.close();
  }
}
