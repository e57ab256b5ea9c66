/**
 * Response targets on Temporal's time-skipping test server: an incident's level from the severity
 * policy, a missed target told in the incident's thread (the Slack stand-in) and paged through
 * PagerDuty's Events API v2 (a stand-in that answers as PagerDuty does), the page resolved when
 * the target is met, throttling retried, a refused event recorded while the incident goes on.
 * Real runbooks (an unmatched alert takes `triage`), real planners, the real Slack notifier.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Duration } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { pagerDedupKey } from '../../domain/ids';
import { deliverAlert } from '../../ingress/incidents';
import { parseConfig, type Config } from '../../platform/config';
import { createDataConverter } from '../../platform/data-converter';
import { severityPolicyFrom } from '../../platform/severity-config';
import { acknowledgeUpdate, resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { reviewId, reviewQuery } from '../../workflows/review-definitions';
import { anAlert } from '../support/alerts';
import { decodedHistory as decoded, historyText as historyOf } from '../support/history';
import { testGrants } from '../support/decisions';
import { pagerDutyStandin, type PagerDutyStandin } from '../support/pagerduty-standin';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, startTimeSkippingServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

const TOKEN = 'xoxb-targets-test';
const ROUTING_KEY = randomBytes(16).toString('hex');
const proveAt = testGrants({ 'security-oncall': ['U1'] });
const proveNow = async (...[by, action, workflowId, options = {}]: Parameters<typeof proveAt>) =>
  proveAt(by, action, workflowId, { ...options, at: new Date(await env.currentTimeMs()) });

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let slack: SlackStandin;
let pager: PagerDutyStandin;
const audit = memoryAudit();
const opened: string[] = [];

beforeAll(async () => {
  slack = await slackStandin(TOKEN);
  pager = await pagerDutyStandin(ROUTING_KEY);
  // The default levels, but SEV1's review is due two days after resolution (not `reviews.dueDays`).
  const levels = { ...parseConfig({}).severity.levels };
  levels.SEV1 = { ...levels.SEV1!, review: '2d' };
  config = testConfig({ severity: { levels, pagerDuty: { url: pager.url, routingKey: ROUTING_KEY } } });
  env = await startTimeSkippingServer(config);
  const notifier = standinNotifier(slack, 'C0INCIDENTS', { 'security-oncall': ['U1'] });
  const deps = testActivityDeps({ notifier, audit, approverGroups: { 'security-oncall': ['U1'] }, severity: severityPolicyFrom(config.severity), pagerDuty: config.severity.pagerDuty });
  stopWorker = (await startWorker(env, config, createActivities(deps))).stop;
}, 120_000);

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await slack?.close();
  await pager?.close();
});

async function open(severity: 'critical' | 'high' | 'medium' = 'critical'): Promise<string> {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'NothingMatchesThis', severity, title: 'export by patient jane-doe-1970' }));
  opened.push(incidentId);
  return incidentId;
}

async function after(id: string, wait: Duration) {
  await env.sleep(wait);
  return env.client.workflow.getHandle(id).query(stateQuery);
}

const eventsFor = (id: string) => pager.events.filter((e) => e.body.dedup_key === pagerDedupKey(id));
const targetMessages = (id: string) => slack.callsOf('chat.postMessage').filter((c) => /target missed/.test(String(c.args.text)) && JSON.stringify(c.args.blocks).includes(id));
const kinds = async (id: string) => (await env.client.workflow.getHandle(id).query(timelineQuery)).map((t) => t.kind);

async function resolve(id: string): Promise<void> {
  await env.client.workflow.getHandle(id).executeUpdate(resolveUpdate, { args: [{ proof: await proveNow('U1', 'resolve', id), reason: 'handled' }] });
  await env.client.workflow.getHandle(id).result();
}

const decodedHistory = (id: string) => decoded(env.client, config, id);
const historyText = (id: string) => historyOf(env.client, config, id);

test('a SEV1 incident unacknowledged past its target: escalated in its thread and paged with its dedup key; acknowledging resolves the page', async () => {
  const id = await open('critical');
  let state = await after(id, '10m');
  expect(state.level).toBe('SEV1');
  expect(state.targets!.map((t) => [t.target, t.within, t.status])).toEqual([
    ['acknowledge', '15m', 'pending'],
    ['resolve', '4h', 'pending'],
  ]);
  expect(eventsFor(id)).toHaveLength(0);

  state = await after(id, '10m');
  expect(state.targets!.find((t) => t.target === 'acknowledge')).toMatchObject({ status: 'missed', page: 'sent' });
  // Slack: in the incident's thread, naming the level, the target and its duration, mentioning the group.
  const [message] = targetMessages(id);
  expect(message).toBeDefined();
  expect(String(message!.args.text)).toBe('SEV1 acknowledge target missed (15m)');
  const incidentMessage = slack.callsOf('chat.postMessage').find((c) => JSON.stringify(c.args.metadata ?? {}).includes(id));
  expect(message!.args.thread_ts).toBe(incidentMessage!.result!.ts);
  expect(JSON.stringify(message!.args.blocks)).toContain('<@U1>');
  expect(JSON.stringify(message!.args.blocks)).not.toContain('jane-doe');
  // PagerDuty: one trigger, the incident's dedup key, PHI-free.
  const [trigger] = eventsFor(id);
  expect(trigger).toMatchObject({ status: 202, body: { event_action: 'trigger', dedup_key: `tourniquet/${id}`, routing_key: ROUTING_KEY, payload: { severity: 'critical', source: 'tourniquet' } } });
  expect(JSON.stringify(trigger!.body.payload)).not.toContain('jane-doe');
  expect(pager.alerts.get(pagerDedupKey(id))).toEqual({ status: 'triggered', triggers: 1 });
  // The incident message shows the level and the missed target.
  const shown = slack.callsOf('chat.update').filter((c) => c.args.ts === incidentMessage!.result!.ts).pop();
  expect(String(shown!.args.text)).toMatch(/^\[SEV1 critical\]/);
  expect(JSON.stringify(shown!.args.blocks)).toMatch(/acknowledge within 15m \(missed, paged\)/);

  await env.client.workflow.getHandle(id).executeUpdate(acknowledgeUpdate, { args: [{ proof: await proveNow('U1', 'acknowledge', id) }] });
  state = await after(id, '1m');
  expect(eventsFor(id).map((e) => [e.body.event_action, e.status])).toEqual([
    ['trigger', 202],
    ['resolve', 202],
  ]);
  expect(eventsFor(id)[1]!.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: `tourniquet/${id}` });
  expect(pager.alerts.get(pagerDedupKey(id))!.status).toBe('resolved');
  expect(state.targets!.find((t) => t.target === 'acknowledge')).toMatchObject({ status: 'met', page: 'resolved' });
  expect(await kinds(id)).toEqual(expect.arrayContaining(['severity.level', 'target.missed', 'page.triggered', 'target.met', 'page.resolved']));

  // Audited: the miss (the workflow's record) and each PagerDuty event (the activity's), never the routing key.
  const mine = audit.events.filter((e) => e.correlationId === id);
  expect(mine.map((e) => e.what)).toEqual(expect.arrayContaining(['target.missed', 'target.escalated', 'pagerduty.trigger', 'pagerduty.resolve']));
  expect(mine.find((e) => e.what === 'target.escalated')!.details).toMatchObject({ level: 'SEV1', target: 'acknowledge', within: '15m', group: 'security-oncall', paging: true });
  expect(mine.filter((e) => e.what === 'pagerduty.trigger')).toHaveLength(1);
  expect(mine.find((e) => e.what === 'pagerduty.trigger')!.details).toMatchObject({ dedupKey: `tourniquet/${id}`, status: 202, level: 'SEV1', target: 'acknowledge' });
  expect(JSON.stringify(audit.events)).not.toContain(ROUTING_KEY);
  await resolve(id);
  // The level's review target sets the review's due date.
  const review = await env.client.workflow.getHandle(reviewId(id)).query(reviewQuery);
  const resolvedAt = (await env.client.workflow.getHandle(id).query(stateQuery)).resolvedAt!;
  expect(review.dueAt).toBe(new Date(Date.parse(resolvedAt) + 2 * 86_400_000).toISOString());
  expect(review.changes[0]!.message).toContain('(SEV1: 2d after resolution)');
  const text = await historyText(id);
  expect(text).toContain(`tourniquet/${id}`);
  expect(text).not.toContain(ROUTING_KEY);
  // Re-recorded only when a change is deliberately versioned (test/workflow/replay.test.ts replays it).
  if (process.env.RECORD_HISTORIES === '1') {
    writeFileSync(join(__dirname, '..', 'fixtures', 'histories', 'target-missed-paged.pb'), temporal.api.history.v1.History.encode(await decodedHistory(id)).finish());
  }
});

test('acknowledged within the target: nothing escalates, nothing pages', async () => {
  const id = await open('critical');
  await after(id, '5m');
  await env.client.workflow.getHandle(id).executeUpdate(acknowledgeUpdate, { args: [{ proof: await proveNow('U1', 'acknowledge', id) }] });
  const state = await after(id, '1h');
  expect(state.targets!.map((t) => [t.target, t.status])).toEqual([
    ['acknowledge', 'met'],
    ['resolve', 'pending'],
  ]);
  await resolve(id);
  expect(eventsFor(id)).toHaveLength(0);
  expect(targetMessages(id)).toHaveLength(0);
  expect(await kinds(id)).not.toContain('target.missed');
});

test('a level that does not page (SEV3): the miss is told in Slack only', async () => {
  const id = await open('medium');
  const state = await after(id, '5h');
  expect(state.level).toBe('SEV3');
  expect(state.targets!.find((t) => t.target === 'acknowledge')).toMatchObject({ status: 'missed' });
  expect(state.targets!.find((t) => t.target === 'acknowledge')!.page).toBeUndefined();
  expect(targetMessages(id).map((c) => c.args.text)).toEqual(['SEV3 acknowledge target missed (4h)']);
  expect(eventsFor(id)).toHaveLength(0);
  await resolve(id);
  // SEV3 sets no review target: the review is due by reviews.dueDays (medium: 20 days).
  const review = await env.client.workflow.getHandle(reviewId(id)).query(reviewQuery);
  expect(review.changes[0]!.message).toContain('(medium: 20 days after resolution)');
});

test('a critical alert joining a SEV2 incident moves it to SEV1: its pending targets are due by SEV1', async () => {
  const first = anAlert({ kind: 'NothingMatchesThis', severity: 'high' });
  const { incidentId: id } = await deliverAlert(env.client, config.temporal.taskQueue, first);
  opened.push(id);
  let state = await after(id, '10m');
  expect(state.level).toBe('SEV2');
  expect(state.targets!.find((t) => t.target === 'acknowledge')!.within).toBe('30m');
  await deliverAlert(env.client, config.temporal.taskQueue, { ...first, deliveryId: `${first.deliveryId}-critical`, severity: 'critical' });
  state = await after(id, '1m');
  expect(state.level).toBe('SEV1');
  expect(state.targets!.find((t) => t.target === 'acknowledge')).toMatchObject({ within: '15m', status: 'pending' });
  // Due 15 minutes from the opening, not from the rise.
  state = await after(id, '5m');
  expect(state.targets!.find((t) => t.target === 'acknowledge')).toMatchObject({ status: 'missed', page: 'sent' });
  expect(targetMessages(id).map((c) => c.args.text)).toEqual(['SEV1 acknowledge target missed (15m)']);
  const timeline = await env.client.workflow.getHandle(id).query(timelineQuery);
  expect(timeline.filter((t) => t.kind === 'severity.level').map((t) => t.message)).toEqual([
    'SEV2 (alert severity high): acknowledge within 30m, resolve within 24h',
    'SEV2 → SEV1 (alert severity critical): acknowledge within 15m, resolve within 4h',
  ]);
  await resolve(id);
  expect(eventsFor(id).map((e) => e.body.event_action)).toEqual(['trigger', 'resolve']);
});

test('PagerDuty throttles (429) and then accepts: the trigger is retried, one page', async () => {
  const id = await open('high');
  await after(id, '20m');
  pager.answerNext(429);
  const state = await after(id, '15m');
  expect(state.targets!.find((t) => t.target === 'acknowledge')).toMatchObject({ status: 'missed', page: 'sent' });
  expect(eventsFor(id).map((e) => [e.body.event_action, e.status])).toEqual([
    ['trigger', 429],
    ['trigger', 202],
  ]);
  expect(pager.alerts.get(pagerDedupKey(id))).toEqual({ status: 'triggered', triggers: 1 });
  expect((await kinds(id)).filter((k) => k === 'page.triggered')).toHaveLength(1);
  expect(audit.events.filter((e) => e.correlationId === id && e.what === 'pagerduty.trigger')).toHaveLength(1);
  await resolve(id);
  expect(eventsFor(id).map((e) => e.body.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
});

test('PagerDuty refuses the event (400): recorded as failed, not retried, and the incident goes on', async () => {
  const id = await open('critical');
  await after(id, '10m');
  pager.answerNext(400);
  const state = await after(id, '10m');
  expect(state.targets!.find((t) => t.target === 'acknowledge')).toMatchObject({ status: 'missed', page: 'failed' });
  expect(eventsFor(id).map((e) => e.status)).toEqual([400]);
  const timeline = await env.client.workflow.getHandle(id).query(timelineQuery);
  const failed = timeline.find((t) => t.kind === 'page.failed');
  expect(failed!.message).toMatch(/PagerDuty answered 400 \(invalid event\)/);
  expect(failed!.message).not.toContain(ROUTING_KEY);
  expect(targetMessages(id)).toHaveLength(1);
  // Still running and in a person's hands.
  expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
  await env.client.workflow.getHandle(id).executeUpdate(acknowledgeUpdate, { args: [{ proof: await proveNow('U1', 'acknowledge', id) }] });
  await resolve(id);
  // Nothing was paged, so nothing is resolved.
  expect(eventsFor(id).map((e) => e.status)).toEqual([400]);
});

test('each history above (targets missed, paged, retried, refused, resolved) replays against the workflow code', async () => {
  expect(opened.length).toBeGreaterThanOrEqual(5);
  const histories = await Promise.all(opened.map(async (id) => ({ workflowId: id, history: await env.client.workflow.getHandle(id).fetchHistory() })));
  const failures: string[] = [];
  const results = Worker.runReplayHistories({ workflowBundle: { codePath: process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE! }, dataConverter: createDataConverter(config) }, histories);
  for await (const result of results) if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  expect(failures).toEqual([]);
});
