/**
 * Slack ChatOps end to end: the real Bolt app mounted in the ingress's HTTP server, driven with
 * genuinely signed requests (slash commands, block_actions, view_submission); a real Temporal dev
 * server and worker; the Slack notifier talking to a local Slack Web API stand-in.
 */
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createActivities } from '../../activities';
import { createNotifyActivities } from '../../activities/notify';
import { slackNotifier, slackWebClient } from '../../activities/slack-notifier';
import type { Alert } from '../../domain/alert';
import type { IncidentState } from '../../domain/incident';
import { createIngressApp, deliverAlert, ingressDepsFrom, listen, type RunningServer } from '../../ingress';
import { APPROVE_ACTION, DENY_ACTION, JUSTIFY_VIEW, uiLinkFor } from '../../activities/slack/blocks';
import { startSlackIngress } from '../../ingress/slack';
import { createMetrics } from '../../ingress/metrics';
import { decide } from '../../cli/commands/approve';
import { CliError } from '../../cli/context';
import { operatorApiClient } from '../../cli/operator-api';
import { apiTokenHash, ingressIdentity, newApiToken, type IngressIdentity } from '../../ingress/identity';
import { workerDecisionKeys } from '../../platform/decision-keys';
import type { Config } from '../../platform/config';
import { stateQuery, resolveUpdate } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { waitFor } from '../support/runbooks';
import { signedSlackPost, slashCommandFields, slashReply, slackStandin, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove, TEST_DECISION_KEYS } from '../support/decisions';

jest.setTimeout(120_000);

const BOT_TOKEN = 'xoxb-test-token';
const SIGNING_SECRET = 'signing-secret-for-tests';
const CHANNEL = 'C0INCIDENTS';
const PHI_TITLE = 'export by patient jane.doe@example.com SSN 123-45-6789';
const PHI_MARKERS = ['jane.doe@example.com', '123-45-6789'];
const APPROVER_GROUPS = { oncall: ['U1', 'U2', 'U3', 'alice'], leads: ['U7'] };
/** alice uses both Slack (as U4) and the CLI: one person, one id. mallory is in no group. */
const ALICE_TOKEN = newApiToken();
const MALLORY_TOKEN = newApiToken();
const PEOPLE = { alice: { slack: 'U4', tokenHashes: [apiTokenHash(ALICE_TOKEN)] }, mallory: { tokenHashes: [apiTokenHash(MALLORY_TOKEN)] } };

let env: TestWorkflowEnvironment;
let config: Config;
let standin: SlackStandin;
let target: Awaited<ReturnType<typeof httpTarget>>;
let ingress: RunningServer;
let stopWorker: () => Promise<void>;
const workerAudit = memoryAudit();
const slackAudit = memoryAudit();
let triggers = 0;
let identity: IngressIdentity;

function writeRunbooks(url: string): string {
  const dir = join(tmpdir(), `tq-slack-runbooks-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  const gated = (id: string, match: string, approval: string, payload = '{ principal: "${alert.subject.principal}" }') =>
    writeFileSync(
      join(dir, `${id}.yaml`),
      `id: ${id}
title: ${id}
match: [${match}]
steps:
  - id: contain
    type: webhook
    with: { url: "${url}/${id}", payload: ${payload} }
    approval: ${approval}
`,
    );
  gated('gated-one', '{ kinds: ["GatedOne*"] }', '{ group: oncall, approvers: 1, timeout: 1h, finalTimeout: 1h }');
  gated('gated-two', '{ kinds: ["GatedTwo*"] }', '{ group: oncall, approvers: 2, timeout: 1h, finalTimeout: 1h }');
  gated('manual-gated', '{ sources: [manual] }', '{ group: oncall, approvers: 1, timeout: 1h, finalTimeout: 1h }', '{ incident: "${incident.id}" }');
  gated('quick-timeout', '{ kinds: ["SlowGate*"] }', '{ group: oncall, approvers: 1, timeout: 2s, escalateTo: leads, finalTimeout: 2s, onTimeout: deny }');
  return dir;
}

beforeAll(async () => {
  standin = await slackStandin(BOT_TOKEN);
  target = await httpTarget();
  const runbooksDir = writeRunbooks(target.url);
  config = testConfig({
    runbooksDir,
    approverGroups: APPROVER_GROUPS,
    people: PEOPLE,
    // This test's groups are not the shipped runbooks': the authority table is configured to match.
    authority: { acknowledge: ['oncall'], resolve: ['oncall'], 'close-no-action': ['oncall'], 'role.assign': ['oncall'] },
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, channel: CHANNEL, apiUrl: standin.apiUrl },
  });
  env = await startDevServer(config);
  // The ingress's key is created on its first start; the worker is configured with its public half.
  identity = ingressIdentity(config, slackAudit);
  const decisionKeys = { ...TEST_DECISION_KEYS, ...workerDecisionKeys(config) };
  const notifier = slackNotifier({
    client: slackWebClient(BOT_TOKEN, standin.apiUrl),
    channel: CHANNEL,
    approverGroups: APPROVER_GROUPS,
    link: uiLinkFor(config.temporal),
  });
  const activities = createActivities(testActivityDeps({ runbooksDir, approverGroups: APPROVER_GROUPS, notifier, audit: workerAudit, decisionKeys }));
  stopWorker = (await startWorker(env, config, activities)).stop;
  const app = createIngressApp(
    ingressDepsFrom(config, env.client, { audit: slackAudit, metrics: createMetrics(), operators: { decider: identity.decider, authenticate: identity.authenticate } }),
  );
  const slack = await startSlackIngress(config, { client: env.client, audit: slackAudit, decider: identity.decider }, pino({ level: 'silent' }));
  ingress = await listen(app, '127.0.0.1', 0, slack.mounts);
});

afterAll(async () => {
  await ingress?.close();
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
  await standin?.close();
});

// ---- acting as Slack ---------------------------------------------------------------------------

const eventsUrl = () => `${ingress.url}/slack/events`;
const signing = { secret: SIGNING_SECRET };

function slash(user: string, text: string) {
  triggers += 1;
  return signedSlackPost(eventsUrl(), slashCommandFields(standin, user, text, CHANNEL, `${process.pid}-${Date.now()}-${triggers}`), signing);
}

/** `/ir <text>` and the ephemeral reply it gets. */
const reply = async (user: string, text: string) => (await slashReply(standin, () => slash(user, text), text)) as { text: string; response_type: string };

function buttonValue(incidentId: string): string {
  const call = standin
    .callsOf('chat.postMessage')
    .find((c) => JSON.stringify(c.args.blocks ?? '').includes(APPROVE_ACTION) && JSON.stringify(c.args.blocks).includes(incidentId));
  if (!call) throw new Error(`no approval message for ${incidentId}`);
  const actions = (call.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!;
  return actions.elements!.find((e) => e.action_id === APPROVE_ACTION)!.value;
}

function click(user: string, actionId: string, value: string, sign: { secret: string; timestamp?: number } = signing) {
  triggers += 1;
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: `trigger-${process.pid}-${triggers}`,
    team: { id: 'T0001', domain: 'test' },
    channel: { id: CHANNEL, name: 'incidents' },
    container: { type: 'message', channel_id: CHANNEL, message_ts: '1.0' },
    response_url: standin.responseUrl(`click-${triggers}`),
    actions: [{ type: 'button', action_id: actionId, block_id: 'approval', value, action_ts: `${Date.now() / 1000}` }],
  };
  return signedSlackPost(eventsUrl(), { payload: JSON.stringify(payload) }, sign);
}

interface OpenedView {
  id: string;
  private_metadata: string;
}

function submit(user: string, view: OpenedView, justification: string, sign = signing) {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'test' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: `trigger-submit-${view.id}`,
    view: {
      id: view.id,
      team_id: 'T0001',
      type: 'modal',
      callback_id: JUSTIFY_VIEW,
      private_metadata: view.private_metadata,
      hash: 'h',
      state: { values: { justification: { text: { type: 'plain_text_input', value: justification } } } },
    },
  };
  return signedSlackPost(eventsUrl(), { payload: JSON.stringify(payload) }, sign);
}

/** The Approve button's value on the incident's approval message, once it has been posted. */
function approvalButton(incidentId: string): Promise<string> {
  const find = async () => {
    try {
      return buttonValue(incidentId);
    } catch {
      return '';
    }
  };
  return waitFor(find, (v) => v !== '', `approval message for ${incidentId}`);
}

/** Click a button, wait for the modal Bolt opens through views.open, and return that modal. */
async function openModal(user: string, actionId: string, value: string): Promise<OpenedView> {
  const before = standin.callsOf('views.open').length;
  expect((await click(user, actionId, value)).status).toBe(200);
  const opened = await waitFor(async () => standin.callsOf('views.open'), (calls) => calls.length > before, 'views.open');
  const result = opened[opened.length - 1]!.result as { view: OpenedView };
  return result.view;
}

/** The whole Slack gesture: click Approve (or Deny), fill the justification, submit. */
async function decideInSlack(user: string, incidentId: string, decision: 'approve' | 'deny', justification: string) {
  const view = await openModal(user, decision === 'approve' ? APPROVE_ACTION : DENY_ACTION, buttonValue(incidentId));
  expect((await submit(user, view, justification)).status).toBe(200);
  return view;
}

const ephemeralsFor = (user: string) => standin.callsOf('chat.postEphemeral').filter((c) => c.args.user === user);
const stateOf = (id: string) => env.client.workflow.getHandle(id).query(stateQuery);
const awaiting = (id: string) => waitFor(() => stateOf(id), (s) => s.steps[0]?.status === 'awaiting-approval', `${id} awaiting approval`);

async function expectRefused(user: string, incidentId: string, reason: RegExp, act: () => Promise<unknown>) {
  const before = await stateOf(incidentId);
  const ephemerals = ephemeralsFor(user).length;
  const audited = slackAudit.events.length;
  await act();
  const told = await waitFor(async () => ephemeralsFor(user), (calls) => calls.length > ephemerals, `ephemeral to ${user}`);
  expect(String(told[told.length - 1]!.args.text)).toMatch(reason);
  const after = await stateOf(incidentId);
  expect(after.steps).toEqual(before.steps);
  expect(after.status).toBe(before.status);
  expect(slackAudit.events.slice(audited)).toContainEqual(
    expect.objectContaining({ who: user, what: 'approval.rejected', where: `slack:T0001/${user}`, why: expect.objectContaining({ incident: incidentId }) }),
  );
}

function incidentMessages(incidentId: string) {
  const posts = standin.callsOf('chat.postMessage').filter((c) => String(c.args.text).includes(' — ') && JSON.stringify(c.args.blocks).includes(incidentId));
  return posts;
}

// ---- the tests ---------------------------------------------------------------------------------

test('an authorised approval in Slack lets the step run; forged, stale and unauthorised clicks change nothing', async () => {
  const alert: Alert = anAlert({ kind: 'GatedOneKey', title: PHI_TITLE, subject: { principal: 'svc-export' } });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, alert);
  await awaiting(incidentId);
  const value = await approvalButton(incidentId);
  // The approval message shows the exact action: the plan line names the endpoint and the principal.
  const approvalPost = standin.callsOf('chat.postMessage').find((c) => JSON.stringify(c.args.blocks).includes(value.replace(/"/g, '\\"')))!;
  expect(JSON.stringify(approvalPost.args.blocks)).toContain(`${target.url}/gated-one`);
  expect(JSON.stringify(approvalPost.args.blocks)).toContain('svc-export');
  expect(JSON.stringify(approvalPost.args.blocks)).toContain('<@U1> <@U2> <@U3>');

  // Forged signature and replayed (stale) request: refused by the receiver, no modal, no decision.
  const modals = standin.callsOf('views.open').length;
  expect((await click('U1', APPROVE_ACTION, value, { secret: 'not-the-secret' })).status).toBe(401);
  const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
  expect((await click('U1', APPROVE_ACTION, value, { secret: SIGNING_SECRET, timestamp: sixMinutesAgo })).status).toBe(401);
  const forgedView = { id: 'VFORGED', private_metadata: JSON.stringify({ ...JSON.parse(value), decision: 'approve', channel: CHANNEL }) };
  expect((await submit('U1', forgedView, 'forged', { secret: 'not-the-secret' })).status).toBe(401);
  await new Promise((r) => setTimeout(r, 300));
  expect(standin.callsOf('views.open')).toHaveLength(modals);
  expect((await stateOf(incidentId)).steps[0]!.approvals).toEqual([]);

  // Not in the approver group: explained to them alone, audited, nothing changes.
  await expectRefused('U9', incidentId, /not in the approver group oncall/, () => decideInSlack('U9', incidentId, 'approve', 'looks fine'));

  // An authorised responder approves with a justification: the step runs.
  await decideInSlack('U1', incidentId, 'approve', 'key is on pastebin, revoke now');
  const done = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'succeeded', 'step succeeded');
  expect(done.steps[0]!.approvals).toEqual([expect.objectContaining({ by: 'U1', decision: 'approve', justification: 'key is on pastebin, revoke now' })]);
  expect(target.requests.filter((r) => r.path === '/gated-one')).toHaveLength(1);

  // One incident message, posted once and edited in place as the incident moved on.
  await waitFor(
    async () => standin.callsOf('chat.update').filter((c) => String(c.args.text).includes('contained')),
    (calls) => calls.length > 0,
    'message shows contained',
  );
  const posted = incidentMessages(incidentId);
  expect(posted).toHaveLength(1);
  const ts = (posted[0]!.result as { ts: string }).ts;
  const updates = standin.callsOf('chat.update').filter((c) => c.args.ts === ts);
  expect(updates.length).toBeGreaterThan(0);
  expect(updates.every((c) => (c.result as { ok: boolean }).ok)).toBe(true);
  const latest = standin.messages.get(`${CHANNEL}/${ts}`)!;
  expect(JSON.stringify(latest.blocks)).toContain('approved by <@U1>');
  expect(JSON.stringify(latest.blocks)).toContain('/namespaces/default/workflows/incident%2F');
  expect((await stateOf(incidentId)).slack).toEqual({ channel: CHANNEL, ts });

  // No PHI in anything sent to Slack: the title is withheld (generic does not show titles here),
  // and the message is titled by PHI-free fields instead.
  const everything = JSON.stringify(standin.calls);
  for (const marker of PHI_MARKERS) expect(everything).not.toContain(marker);
  expect(everything).not.toContain('export by patient');
  expect(JSON.stringify(latest.blocks)).toContain('*GatedOneKey (generic)*');
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('two-person approval needs two distinct approvers; a duplicate click and a retried submission are harmless', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'GatedTwoKey' }));
  await awaiting(incidentId);
  await approvalButton(incidentId);

  const first = await decideInSlack('U1', incidentId, 'approve', 'first pair of eyes');
  await waitFor(() => stateOf(incidentId), (s) => s.steps[0]!.approvals.length === 1, 'first approval');

  // Slack delivering the same submission again: the same update id, answered once.
  const ephemerals = standin.callsOf('chat.postEphemeral').length;
  expect((await submit('U1', first, 'first pair of eyes')).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1_000));
  expect(standin.callsOf('chat.postEphemeral')).toHaveLength(ephemerals);

  // The same person clicking again: refused, still one approval, the step still waits.
  await expectRefused('U1', incidentId, /already decided/, () => decideInSlack('U1', incidentId, 'approve', 'me again'));
  let state = await stateOf(incidentId);
  expect(state.steps[0]!.status).toBe('awaiting-approval');
  expect(target.requests.filter((r) => r.path === '/gated-two')).toHaveLength(0);

  await decideInSlack('U2', incidentId, 'approve', 'second pair of eyes');
  state = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'succeeded', 'two-person approval');
  expect(state.steps[0]!.approvals.map((a) => a.by)).toEqual(['U1', 'U2']);
  expect(target.requests.filter((r) => r.path === '/gated-two')).toHaveLength(1);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('one person in Slack and on the CLI counts once in a two-person rule', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'GatedTwoSamePerson' }));
  await awaiting(incidentId);
  await approvalButton(incidentId);
  // alice clicks in Slack as U4: the directory maps U4 to alice, and alice is in oncall.
  await decideInSlack('U4', incidentId, 'approve', 'first look, from Slack');
  const once = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]!.approvals.length === 1, 'first approval');
  expect(once.steps[0]!.approvals[0]!.by).toBe('alice');
  // The workflow's audit outbox delivers after the state changed.
  await waitFor(async () => workerAudit.events.filter((e) => e.what === 'approval.granted' && e.who === 'alice' && e.where === 'slack:T0001/U4' && e.why.incident === incidentId), (e) => e.length === 1, 'audited with its origin');
  // alice again, on the CLI with her token: the same person, refused; the step still waits.
  const hash = once.steps[0]!.planHash!;
  await expect(decide(cliAs(ALICE_TOKEN), 'approve', { incident: incidentId, step: 'contain', justification: 'second look, from the CLI', plan: hash })).rejects.toMatchObject({
    exitCode: 4,
    message: expect.stringMatching(/alice has already decided on this step/),
  });
  expect((await stateOf(incidentId)).steps[0]).toMatchObject({ status: 'awaiting-approval', approvals: [expect.objectContaining({ by: 'alice' })] });
  expect(target.requests.filter((r) => r.path === '/gated-two' && r.body.includes(incidentId))).toHaveLength(0);
  // A second, different person completes it.
  await decideInSlack('U2', incidentId, 'approve', 'second pair of eyes');
  const done = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'succeeded', 'two distinct people');
  expect(done.steps[0]!.approvals.map((a) => a.by)).toEqual(['alice', 'U2']);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('/ir declare opens a manual incident; its requester cannot approve it; /ir status, list, ack, resolve, clocks, help', async () => {

  const declared = await reply('U3', 'declare --sev=critical PHI export seen for MRN 884421');
  // Ephemeral: an in-channel reply would show the typed command (with its MRN) to the channel.
  expect(declared.response_type).toBe('ephemeral');
  const incidentId = /`(incident\/manual-[0-9a-f]+)`/.exec(declared.text)![1]!;
  expect(declared.text).not.toContain('884421');
  const state: IncidentState = await awaiting(incidentId);
  expect(state.requester).toBe('U3');
  expect(state.severity).toBe('critical');
  expect(state.runbook?.id).toBe('manual-gated');
  await approvalButton(incidentId);

  await expectRefused('U3', incidentId, /requested this action and cannot also approve it/, () =>
    decideInSlack('U3', incidentId, 'approve', 'my own request'),
  );

  const shown = await reply('U1', `status ${incidentId.replace('incident/', '')}`);
  expect(shown.response_type).toBe('ephemeral');
  expect(shown.text).toContain('contain: awaiting-approval');
  expect(shown.text).toContain('declared by U3');
  expect(shown.text).not.toContain('PHI export seen');
  expect((await reply('U1', 'list')).text).toContain(incidentId);
  expect((await reply('U1', `ack ${incidentId}`)).text).toContain('Acknowledged');
  expect((await stateOf(incidentId)).acknowledgedBy).toBe('U1');
  expect((await reply('U1', 'clocks')).text).toMatch(/No breach-notification clocks are open/);
  expect((await reply('U1', 'help')).text).toContain('/ir resolve <id> <reason>');
  expect((await reply('U1', `resolve ${incidentId}`)).text).toContain('usage');

  await decideInSlack('U2', incidentId, 'deny', 'not needed, export was to our own backup');
  const denied = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'denied', 'denied');
  expect(denied.steps[0]!.approvals).toEqual([expect.objectContaining({ by: 'U2', decision: 'deny', justification: 'not needed, export was to our own backup' })]);
  expect(target.requests.filter((r) => r.path === '/manual-gated')).toHaveLength(0);

  expect((await reply('U1', `resolve ${incidentId} false alarm`)).text).toContain('Resolved');
  expect((await env.client.workflow.getHandle(incidentId).result()).status).toBe('resolved');
  expect((await reply('U1', `ack ${incidentId}`)).text).toMatch(/:no_entry:/);
  for (const marker of ['884421', ...PHI_MARKERS]) expect(JSON.stringify(standin.calls)).not.toContain(marker);
});

test('an unanswered approval escalates to the next group in Slack, then takes the runbook default', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'SlowGateKey', severity: 'critical' }));
  const escalation = await waitFor(
    async () => standin.callsOf('chat.postMessage').filter((c) => String(c.args.text).startsWith('Escalation') && JSON.stringify(c.args.blocks).includes(incidentId)),
    (calls) => calls.length > 0,
    'escalation message',
  );
  expect(JSON.stringify(escalation[0]!.args.blocks)).toContain('*leads* <@U7>');
  const state = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'denied', 'default after final timeout');
  expect(state.steps[0]!.approvals).toEqual([]);
  expect(target.requests.filter((r) => r.path === '/quick-timeout')).toHaveLength(0);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

/** The CLI's context as a shell with this token would have it, against this test's ingress. */
function cliAs(token: string) {
  const settings = { ...config, ingress: { ...config.ingress, url: ingress.url } };
  return { config: settings, address: 'test', client: async () => env.client, api: () => operatorApiClient(settings, { TOURNIQUET_TOKEN: token }) };
}

test('without Slack, the CLI approves through the operator API as the person its token names', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'GatedOneCli' }));
  await awaiting(incidentId);
  const ctx = cliAs(ALICE_TOKEN);
  const request = { incident: incidentId.replace('incident/', ''), step: 'contain', justification: 'rotating by hand' };
  // Without the plan's hash nothing is decided: the refusal shows the plan and the hash to pass.
  const shown = await decide(ctx, 'approve', request).catch((err: CliError) => err);
  expect(shown).toBeInstanceOf(CliError);
  const hash = (await stateOf(incidentId)).steps[0]!.planHash!;
  expect((shown as CliError).message).toContain(`--plan ${hash}`);
  expect((shown as CliError).message).toContain('/gated-one');
  // mallory's token is mallory: not in the group, whatever she would like to be called.
  await expect(decide(cliAs(MALLORY_TOKEN), 'approve', { ...request, plan: hash })).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/mallory is not in the approver group oncall/) });
  await expect(decide(cliAs('tq_not-a-real-token'), 'approve', { ...request, plan: hash })).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/not signed in: unknown API token/) });
  expect(slackAudit.events).toContainEqual(expect.objectContaining({ what: 'authz.denied', who: 'mallory', where: expect.stringMatching(/^api:/), why: expect.objectContaining({ incident: incidentId }) }));
  await expect(decide(ctx, 'approve', { ...request, plan: 'a'.repeat(64) })).rejects.toThrow(/plan changed/);
  // A terminal's confirmation that does not match is no decision either.
  await expect(decide(ctx, 'approve', request, { confirm: async () => false })).rejects.toThrow(/nothing was decided/);
  expect((await stateOf(incidentId)).steps[0]!.approvals).toEqual([]);
  const seen: string[] = [];
  const { plan, result } = await decide(ctx, 'approve', { ...request, plan: hash.slice(0, 12) }, { show: (s) => seen.push(...(s.plan ?? [])) });
  expect(result.by).toBe('alice');
  expect(plan.join('\n')).toContain('/gated-one');
  expect(seen).toEqual(plan); // shown before the decision
  expect((await stateOf(incidentId)).steps[0]!.approvals).toEqual([expect.objectContaining({ by: 'alice' })]);
  await waitFor(
    async () => workerAudit.events.filter((e) => e.what === 'approval.granted' && e.who === 'alice' && e.why.incident === incidentId),
    (e) => e.length === 1 && /^api:(127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/.test(e[0]!.where),
    'audited with the client address',
  );
  await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'succeeded', 'step ran after CLI approval');
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('after a worker restart the incident message is still edited in place, never posted again', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'GatedOneRestart' }));
  await awaiting(incidentId);
  await approvalButton(incidentId);
  const [original] = await waitFor(async () => incidentMessages(incidentId), (posts) => posts.length === 1, 'incident message');
  const ts = (original!.result as { ts: string }).ts;

  // A new worker process: a fresh notifier that has never seen this incident.
  await stopWorker();
  const notifier = slackNotifier({
    client: slackWebClient(BOT_TOKEN, standin.apiUrl),
    channel: CHANNEL,
    approverGroups: APPROVER_GROUPS,
    link: uiLinkFor(config.temporal),
  });
  const activities = createActivities(
    testActivityDeps({ runbooksDir: config.runbooksDir, approverGroups: APPROVER_GROUPS, notifier, audit: workerAudit, decisionKeys: { ...TEST_DECISION_KEYS, ...workerDecisionKeys(config) } }),
  );
  stopWorker = (await startWorker(env, config, activities)).stop;

  await decideInSlack('U2', incidentId, 'approve', 'after the restart');
  await waitFor(
    async () => standin.messages.get(`${CHANNEL}/${ts}`)!,
    (m) => JSON.stringify(m.blocks).includes('approved by <@U2>') && m.text.includes('contained'),
    'message edited after restart',
    // The first task after a worker restart waits out the old worker's sticky queue (10 s by
    // default) before the server hands it to the new worker; under load it takes longer.
    90_000,
  );
  expect(incidentMessages(incidentId)).toHaveLength(1);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('a retried first announce finds the message an earlier attempt posted, instead of posting again', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'NothingMatchesThis' }));
  const state = await waitFor(() => stateOf(incidentId), (s) => s.status === 'open' && s.runbookDone === true && s.slack !== undefined, 'message posted');
  expect(incidentMessages(incidentId)).toHaveLength(1);
  // As if the first attempt posted and its worker died before the workflow learnt the ref: a new
  // worker process (fresh notifier) retries with a state that names no message.
  const fresh = () =>
    createNotifyActivities({
      notifier: slackNotifier({ client: slackWebClient(BOT_TOKEN, standin.apiUrl), channel: CHANNEL, approverGroups: APPROVER_GROUPS, link: uiLinkFor(config.temporal) }),
      audit: memoryAudit(),
    });
  const unannounced = { ...state, slack: undefined };
  const retried = await new MockActivityEnvironment({ attempt: 2 }).run(fresh().announceIncident, unannounced);
  expect(retried).toEqual(state.slack);
  expect(incidentMessages(incidentId)).toHaveLength(1);
  expect(standin.callsOf('chat.update').at(-1)!.args).toMatchObject({ channel: state.slack!.channel, ts: state.slack!.ts });
  // A first attempt does not look: it posts.
  const first = await new MockActivityEnvironment({ attempt: 1 }).run(fresh().announceIncident, unannounced);
  expect((first as { ts?: string } | undefined)?.ts).not.toBe(state.slack!.ts);
  expect(incidentMessages(incidentId)).toHaveLength(2);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('a deleted incident message is posted again and the new one remembered', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'NothingMatchesThis' }));
  const first = await waitFor(() => stateOf(incidentId), (s) => s.status === 'open' && s.runbookDone === true && s.slack !== undefined, 'message posted');
  standin.messages.delete(`${first.slack!.channel}/${first.slack!.ts}`);
  expect((await slash('U1', `ack ${incidentId}`)).status).toBe(200);
  const after = await waitFor(() => stateOf(incidentId), (s) => s.slack !== undefined && s.slack.ts !== first.slack!.ts, 'reposted');
  // The acknowledgement shows on the new message (posted by it, or edited in just after).
  await waitFor(
    async () => JSON.stringify(standin.messages.get(`${CHANNEL}/${after.slack!.ts}`)!.blocks),
    (blocks) => blocks.includes('*Acknowledged by:* <@U1>'),
    'acknowledgement on the new message',
  );
  expect(incidentMessages(incidentId)).toHaveLength(2);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('/ir drill: a bad subject is refused with a reason, someone without drill.start (or drill.finding) is refused, and no exercise or follow-up starts', async () => {
  expect((await reply('U1', 'drill')).text).toMatch(/usage: .*drill <runbook or scenario>/);
  expect((await reply('U1', 'drill triage principal')).text).toMatch(/principal: expected key=value/);
  expect((await reply('U1', 'drill triage principal=a;b')).text).toMatch(/subject\.principal/);
  expect((await reply('U1', 'drill triage --sev=urgent')).text).toMatch(/severity/);
  expect((await reply('U1', 'drill triage principal=svc-x')).text).toMatch(/U1 may not drill\.start: it needs a member of security-oncall or security-leads/);
  expect((await env.client.workflow.count(`WorkflowId STARTS_WITH 'incident/exercise-'`)).count).toBe(0);
  // A drill's finding likewise: usage when a field is missing, the authority's refusal, no follow-up.
  expect((await reply('U1', 'drill finding incident/exercise-abc --owner=U2 the pager link is stale')).text).toMatch(/usage: .*drill finding <exercise> --owner=<person> --due=<date> <text>/);
  expect((await reply('U1', 'drill finding incident/0123abcd --owner=U2 --due=2099-01-01 stale link')).text).toMatch(/is not a drill/);
  expect((await reply('U1', 'drill finding incident/exercise-abc --owner=U2 --due=2099-01-01 the pager link is stale')).text).toMatch(/U1 may not drill\.finding: it needs a member of security-oncall or security-leads/);
  expect((await env.client.workflow.count(`WorkflowId STARTS_WITH 'follow-up/'`)).count).toBe(0);
});

test('roles: assigned and handed over from Slack and the operator API, on the incident message and the audit log; an unknown role or person, an outsider and a closed incident change nothing', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'GatedOneRoles' }));
  await awaiting(incidentId);
  const id = incidentId.replace('incident/', '');

  // alice is U4 in Slack: the mention names the person, not the Slack account.
  expect((await reply('U1', `role ${id} incident-commander <@U4>`)).text).toContain('incident-commander of');
  expect((await stateOf(incidentId)).roles).toEqual({ 'incident-commander': { person: 'alice', by: 'U1', since: expect.any(String) } });
  expect((await reply('U2', `role ${id} incident-commander me shift change at 18:00`)).text).toContain('<@U2>');
  expect((await reply('U2', `role ${id} incident-commander me`)).text).toMatch(/:no_entry: .*U2 already holds incident-commander/);
  expect((await reply('U1', `role ${id} boss <@U2>`)).text).toMatch(/:no_entry: no role "boss" \(roles: incident-commander, communications-lead, privacy-officer, scribe\)/);
  expect((await reply('U7', `role ${id} scribe me`)).text).toMatch(/:no_entry: U7 may not role\.assign: it needs a member of oncall/);
  expect((await reply('U1', `role ${id} scribe`)).text).toContain('usage');

  const api = (token: string, body: unknown) =>
    fetch(`${ingress.url}/api/v1/incidents/${id}/roles`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await api(MALLORY_TOKEN, { role: 'scribe', person: 'mallory' })).status).toBe(403);
  const unknown = await api(ALICE_TOKEN, { role: 'scribe', person: 'nobody' });
  expect(unknown.status).toBe(400);
  expect(((await unknown.json()) as { message: string }).message).toBe('no person "nobody" in the directory');
  const scribe = await api(ALICE_TOKEN, { role: 'scribe', person: 'mallory', reason: 'keeps the timeline' });
  expect(scribe.status).toBe(200);
  expect(((await scribe.json()) as { roles: Record<string, { person: string }> }).roles).toMatchObject({ 'incident-commander': { person: 'U2' }, scribe: { person: 'mallory', by: 'alice' } });

  // Each change on the record: who, from where, why; the refusals changed nothing.
  const records = await waitFor(
    async () => workerAudit.events.filter((e) => e.why.incident === incidentId && e.what.startsWith('role.')),
    (r) => r.length === 3,
    'role records',
  );
  expect(records.map((r) => [r.what, r.who, (r.details as { message: string }).message])).toEqual([
    ['role.assigned', 'U1', 'incident-commander: alice'],
    ['role.handed-over', 'U2', 'incident-commander handed over from alice to U2'],
    ['role.assigned', 'alice', 'scribe: mallory'],
  ]);
  expect(records[0]!.where).toMatch(/^slack:/);
  expect(records[1]!.why.reason).toBe('shift change at 18:00');
  expect(records[2]!.where).toMatch(/^api:/);

  // The incident message shows who holds what.
  const roleLine = await waitFor(
    async () => [...standin.callsOf('chat.update'), ...standin.callsOf('chat.postMessage')].map((c) => JSON.stringify(c.args)).filter((a) => a.includes(incidentId) && a.includes('*Roles:*')),
    (found) => found.some((a) => a.includes('incident-commander: <@U2> · scribe: mallory')),
    'roles on the incident message',
  );
  expect(roleLine.length).toBeGreaterThan(0);

  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
  expect((await reply('U1', `role ${id} scribe <@U1>`)).text).toMatch(/:no_entry: .*already resolved/);
  expect((await stateOf(incidentId)).roles?.scribe?.person).toBe('mallory');
});
