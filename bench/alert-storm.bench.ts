/**
 * Alert storm, open loop: signed generic webhooks offered at a fixed arrival rate across a few
 * fingerprints, each sent on schedule whether or not earlier ones were answered (a monitoring
 * system does not wait for us), with 10 % sent twice as a sender retry would. Meanwhile Slack
 * interactions (Approve clicks, genuinely signed) arrive at the real Bolt app in the same ingress,
 * whose worker announces to a Slack stand-in. Prints webhook latency, Slack's ack latency (Slack
 * retries after 3 s), and checks every alert landed once: 0 lost, 0 duplicated, one incident per
 * fingerprint.
 *
 * Default: 50 alerts/s for 20 s. The issue's storm, 100/s for 60 s: BENCH_FULL=1 (or
 * BENCH_STORM_RATE, BENCH_STORM_SECONDS).
 */
import pino from 'pino';
import { createActivities } from '../activities';
import { auditLogFor, verifyChain } from '../activities/audit';
import { readLedger } from '../activities/audit/from-config';
import { slackNotifier, slackWebClient } from '../activities/slack-notifier';
import { createIngressApp, ingressDepsFrom, listen } from '../ingress';
import { ingressIdentity } from '../ingress/identity';
import { createMetrics } from '../ingress/metrics';
import { startSlackIngress } from '../ingress/slack';
import { APPROVE_ACTION, uiLinkFor } from '../activities/slack/blocks';
import { workerDecisionKeys } from '../platform/decision-keys';
import { stateQuery } from '../workflows/definitions';
import { TEST_DECISION_KEYS } from '../test/support/decisions';
import { stackSettings } from '../test/support/ingress-stack';
import { alertSender } from './sender';
import { signedSlackPost, slackStandin } from '../test/support/slack-standin';
import { RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../test/support/temporal';

const FULL = process.env.BENCH_FULL === '1';
const RATE = Number(process.env.BENCH_STORM_RATE ?? (FULL ? 100 : 50));
const SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? (FULL ? 60 : 20));
const FINGERPRINTS = 20;
const RETRIED_EVERY = 10; // every tenth alert is delivered twice
const SLACK_RATE = 5; // interactions per second during the storm
const BOT_TOKEN = 'xoxb-bench-token';
const SIGNING_SECRET = 'bench-slack-signing-secret';
const CHANNEL = 'C0BENCH';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const figures = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 'n/a' : `p50 ${percentile(s, 50).toFixed(0)} ms, p99 ${percentile(s, 99).toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms`;
};

/** Calls `send(k)` at k / rate seconds from now for k < rate × seconds, never waiting for answers. */
async function openLoop(rate: number, seconds: number, send: (k: number) => Promise<void>): Promise<{ lagMs: number }> {
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  let lagMs = 0;
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    lagMs = Math.max(lagMs, performance.now() - due);
    inFlight.push(send(k));
  }
  await Promise.all(inFlight);
  return { lagMs };
}

export default async function alertStorm(): Promise<void> {
  const standin = await slackStandin(BOT_TOKEN);
  const runbooksDir = `${RUNBOOKS_DIR}`;
  const config = testConfig(
    stackSettings({ slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, channel: CHANNEL, apiUrl: standin.apiUrl }, approverGroups: { 'security-oncall': ['U1'] } }),
  );
  const env = await startDevServer(config);
  // The ledger the processes write: acceptances before each 202, clicks, the worker's audit batches.
  const audit = auditLogFor(config);
  const identity = ingressIdentity(config, audit);
  const notifier = slackNotifier({ client: slackWebClient(BOT_TOKEN, standin.apiUrl), channel: CHANNEL, approverGroups: config.approverGroups, link: uiLinkFor(config.temporal) });
  const worker = await startWorker(
    env,
    config,
    createActivities(testActivityDeps({ runbooksDir, notifier, audit, decisionKeys: { ...TEST_DECISION_KEYS, ...workerDecisionKeys(config) } })),
  );
  const slack = await startSlackIngress(config, { client: env.client, audit, decider: identity.decider }, pino({ level: 'silent' }));
  const app = createIngressApp(ingressDepsFrom(config, env.client, { audit, metrics: createMetrics(), operators: { decider: identity.decider, authenticate: identity.authenticate } }));
  const server = await listen(app, '127.0.0.1', 0, slack.mounts);
  try {
    const run = Date.now().toString(36);
    const webhook: number[] = [];
    const acks: number[] = [];
    const incidents = new Set<string>();
    let refused = 0;
    /** why deliveries were not accepted: the status answered, or the sender's error code */
    const refusals = new Map<string, number>();
    let slackRefused = 0;
    // Arrivals come in groups of RETRIED_EVERY new alerts followed by the last of them again.
    const alertFor = (k: number) => {
      const group = Math.floor(k / (RETRIED_EVERY + 1));
      const n = group * RETRIED_EVERY + Math.min(k % (RETRIED_EVERY + 1), RETRIED_EVERY - 1);
      return { id: `${run}-${n}`, kind: `StormKind${n % FINGERPRINTS}`, severity: 'high', title: `storm alert ${n}`, subject: { principal: `svc-${run}` } };
    };
    const sentIds = new Set<string>();
    const sender = alertSender(server.url);
    const storm = openLoop(RATE, SECONDS, async (k) => {
      const alert = alertFor(k);
      sentIds.add(alert.id);
      const t0 = performance.now();
      const res = await sender.post(alert).catch((err: NodeJS.ErrnoException) => err.code ?? err.message);
      webhook.push(performance.now() - t0);
      if (typeof res === 'string' || res.status !== 202) {
        refused += 1;
        const why = typeof res === 'string' ? res : `HTTP ${res.status}`;
        refusals.set(why, (refusals.get(why) ?? 0) + 1);
        return;
      }
      for (const id of (JSON.parse(res.body) as { incidents: string[] }).incidents) incidents.add(id);
    });
    let clicks = 0;
    const interactions = openLoop(SLACK_RATE, SECONDS, async (k) => {
      clicks += 1;
      const value = JSON.stringify({ incidentId: `incident/bench-${run}-${k}`, stepId: 'revoke', planHash: 'p'.repeat(64) });
      const payload = {
        type: 'block_actions',
        user: { id: 'U1', username: 'u1', team_id: 'T0001' },
        api_app_id: 'A0001',
        token: 'legacy',
        trigger_id: `trigger-${run}-${k}`,
        team: { id: 'T0001', domain: 'bench' },
        channel: { id: CHANNEL, name: 'incidents' },
        container: { type: 'message', channel_id: CHANNEL, message_ts: '1.0' },
        response_url: standin.responseUrl(`click-${k}`),
        actions: [{ type: 'button', action_id: APPROVE_ACTION, block_id: 'approval', value, action_ts: `${Date.now() / 1000}` }],
      };
      const t0 = performance.now();
      const res = await signedSlackPost(`${server.url}/slack/events`, { payload: JSON.stringify(payload) }, { secret: SIGNING_SECRET }).catch(() => undefined);
      acks.push(performance.now() - t0);
      if (res?.status !== 200) slackRefused += 1;
    });
    const [{ lagMs }] = await Promise.all([storm, interactions]);
    sender.close();

    // Every unique alert must be counted exactly once by its incident.
    let counted = 0;
    for (const until = Date.now() + 60_000; Date.now() < until; ) {
      const states = await Promise.all([...incidents].map((id) => env.client.workflow.getHandle(id).query(stateQuery).catch(() => undefined)));
      counted = states.reduce((sum, s) => sum + (s?.alertCount ?? 0), 0);
      if (counted >= sentIds.size) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    let workflows = 0;
    for await (const wf of env.client.workflow.list({ query: `WorkflowType = 'incidentWorkflow'` })) if (incidents.has(wf.workflowId)) workflows += 1;

    console.log(`offered:               ${RATE} alerts/s for ${SECONDS} s, open loop (${webhook.length} deliveries, ${sentIds.size} unique alerts, every ${RETRIED_EVERY + 1}th a sender's retry; sender fell ${lagMs.toFixed(0)} ms behind schedule at most)`);
    console.log(`webhook latency:       ${figures(webhook)}; ${refused} not accepted${refused ? ` (${[...refusals].map(([why, n]) => `${why} ×${n}`).join(', ')})` : ''} (target p99 < 1000 ms)`);
    console.log(`slack interactions:    ${clicks} Approve clicks at ${SLACK_RATE}/s during the storm; ack ${figures(acks)}; ${slackRefused} refused (target p99 < 1000 ms; Slack retries after 3 s)`);
    console.log(`incidents created:     ${workflows} (expected ${FINGERPRINTS}: one per fingerprint)`);
    console.log(`duplicates:            ${Math.max(0, counted - sentIds.size)}`);
    console.log(`lost alerts:           ${Math.max(0, sentIds.size - counted)}`);
    // Each 202 is an acceptance on the ledger, written before it; the chain must still verify.
    await audit.close();
    const { text } = await readLedger(config);
    const ledger = verifyChain(text);
    // Counted from the parsed records of a chain that verified (a broken one fails below anyway).
    const records = ledger.intact ? text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { what?: string }) : [];
    const acceptances = records.filter((record) => record.what === 'alert.accepted').length;
    const answered = webhook.length - refused;
    console.log(`ledger:                ${ledger.records} records, chain ${ledger.intact ? 'intact' : 'BROKEN'}; ${acceptances} acceptances for ${answered} deliveries answered 202`);
    if (counted !== sentIds.size || workflows !== FINGERPRINTS || refused > 0) throw new Error('alert storm: alerts were lost, duplicated or refused');
    if (!ledger.intact || acceptances < answered) throw new Error('alert storm: the ledger lacks acceptances or does not verify');
  } finally {
    await server.close();
    await slack.stop();
    await worker.stop();
    await env.teardown();
    await standin.close();
  }
}
