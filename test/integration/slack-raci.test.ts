/**
 * A runbook's RACI through the real machinery: Bolt in the ingress, a real Temporal dev server and
 * worker, the Slack notifier talking to the Slack stand-in. Responsible is asked, accountable is
 * escalated to, consulted and informed are mentioned, and only responsible, accountable or the
 * incident commander end the incident.
 */
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createActivities } from '../../activities';
import { slackNotifier, slackWebClient } from '../../activities/slack-notifier';
import { createIngressApp, deliverAlert, ingressDepsFrom, listen, type RunningServer } from '../../ingress';
import { APPROVE_ACTION, JUSTIFY_VIEW, uiLinkFor } from '../../activities/slack/blocks';
import { startSlackIngress } from '../../ingress/slack';
import { createMetrics } from '../../ingress/metrics';
import { ingressIdentity } from '../../ingress/identity';
import { workerDecisionKeys } from '../../platform/decision-keys';
import type { Config } from '../../platform/config';
import { closeNoActionUpdate, resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { waitFor } from '../support/runbooks';
import { signedSlackPost, slashCommandFields, slashReply, slackStandin, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { TEST_DECISION_KEYS, testGrants } from '../support/decisions';

jest.setTimeout(120_000);

const BOT_TOKEN = 'xoxb-test-token';
const SIGNING_SECRET = 'signing-secret-for-tests';
const CHANNEL = 'C0RACI';
/** U1, U2 respond; U7 is accountable; U5 is the privacy officer; U8 communications; U9 is only a responder of the authority table. */
const GROUPS = { oncall: ['U1', 'U2'], leads: ['U7'], privacy: ['U5'], comms: ['U8'], responders: ['U1', 'U2', 'U7', 'U9'] };
const prove = testGrants(GROUPS);

let env: TestWorkflowEnvironment;
let config: Config;
let standin: SlackStandin;
let target: Awaited<ReturnType<typeof httpTarget>>;
let ingress: RunningServer;
let stopWorker: () => Promise<void>;
const slackAudit = memoryAudit();
let triggers = 0;

function writeRunbooks(url: string): string {
  const dir = join(tmpdir(), `tq-raci-runbooks-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  const raci = (id: string, kind: string, approval: string) =>
    writeFileSync(
      join(dir, `${id}.yaml`),
      `id: ${id}
title: ${id}
match: [{ kinds: ["${kind}"] }]
raci: { responsible: oncall, accountable: leads, consulted: [privacy], informed: [comms, privacy] }
steps:
  - id: contain
    type: webhook
    with: { url: "${url}/${id}", payload: { principal: "\${alert.subject.principal}" } }
    approval: ${approval}
`,
    );
  raci('raci-gated', 'RaciGated*', '{ approvers: 1, timeout: 1h, finalTimeout: 1h }');
  raci('raci-slow', 'RaciSlow*', '{ approvers: 1, timeout: 2s, finalTimeout: 1h }');
  writeFileSync(join(dir, 'raci-notify.yaml'), `id: raci-notify
title: raci-notify
match: [{ kinds: ["RaciNotify*"] }]
raci: { responsible: oncall, accountable: { role: communications-lead }, informed: [comms] }
steps:
  - { id: tell, type: notify, with: { text: "looking" } }
`);
  return dir;
}

beforeAll(async () => {
  standin = await slackStandin(BOT_TOKEN);
  target = await httpTarget();
  const runbooksDir = writeRunbooks(target.url);
  config = testConfig({
    runbooksDir,
    approverGroups: GROUPS,
    // The authority table lets every responder try; the RACI narrows who may end these incidents.
    authority: { resolve: ['responders'], 'close-no-action': ['responders'], 'role.assign': ['responders'] },
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, channel: CHANNEL, apiUrl: standin.apiUrl },
  });
  env = await startDevServer(config);
  const identity = ingressIdentity(config, slackAudit);
  const decisionKeys = { ...TEST_DECISION_KEYS, ...workerDecisionKeys(config) };
  const notifier = slackNotifier({ client: slackWebClient(BOT_TOKEN, standin.apiUrl), channel: CHANNEL, approverGroups: GROUPS, link: uiLinkFor(config.temporal) });
  const activities = createActivities(testActivityDeps({ runbooksDir, approverGroups: GROUPS, notifier, audit: memoryAudit(), decisionKeys }));
  stopWorker = (await startWorker(env, config, activities)).stop;
  const app = createIngressApp(ingressDepsFrom(config, env.client, { audit: slackAudit, metrics: createMetrics(), operators: { decider: identity.decider, authenticate: identity.authenticate } }));
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

const eventsUrl = () => `${ingress.url}/slack/events`;
const signing = { secret: SIGNING_SECRET };
const stateOf = (id: string) => env.client.workflow.getHandle(id).query(stateQuery);
const blocksOf = (c: { args: Record<string, unknown> }) => JSON.stringify(c.args.blocks ?? '');

function slash(user: string, text: string) {
  triggers += 1;
  return signedSlackPost(eventsUrl(), slashCommandFields(standin, user, text, CHANNEL, `raci-${process.pid}-${triggers}`), signing);
}

async function reply(user: string, text: string): Promise<string> {
  return String((await slashReply(standin, () => slash(user, text), text)).text);
}

function approvalPost(incidentId: string) {
  return waitFor(
    async () => standin.callsOf('chat.postMessage').find((c) => blocksOf(c).includes(APPROVE_ACTION) && blocksOf(c).includes(incidentId)),
    (c) => c !== undefined,
    `approval message for ${incidentId}`,
  ).then((c) => c!);
}

async function decideInSlack(user: string, incidentId: string, justification: string) {
  const post = await approvalPost(incidentId);
  const actions = (post.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!;
  const value = actions.elements!.find((e) => e.action_id === APPROVE_ACTION)!.value;
  triggers += 1;
  const before = standin.callsOf('views.open').length;
  const clicked = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: `trigger-raci-click-${process.pid}-${triggers}`,
    team: { id: 'T0001', domain: 'test' },
    channel: { id: CHANNEL, name: 'incidents' },
    container: { type: 'message', channel_id: CHANNEL, message_ts: '1.0' },
    response_url: standin.responseUrl(`raci-click-${triggers}`),
    actions: [{ type: 'button', action_id: APPROVE_ACTION, block_id: 'approval', value, action_ts: `${Date.now() / 1000}` }],
  };
  expect((await signedSlackPost(eventsUrl(), { payload: JSON.stringify(clicked) }, signing)).status).toBe(200);
  const opened = await waitFor(async () => standin.callsOf('views.open'), (calls) => calls.length > before, 'views.open');
  const view = (opened[opened.length - 1]!.result as { view: { id: string; private_metadata: string } }).view;
  const submitted = {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'test' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: `trigger-raci-submit-${view.id}`,
    view: { id: view.id, team_id: 'T0001', type: 'modal', callback_id: JUSTIFY_VIEW, private_metadata: view.private_metadata, hash: 'h', state: { values: { justification: { text: { type: 'plain_text_input', value: justification } } } } },
  };
  expect((await signedSlackPost(eventsUrl(), { payload: JSON.stringify(submitted) }, signing)).status).toBe(200);
}

const ephemeralsFor = (user: string) => standin.callsOf('chat.postEphemeral').filter((c) => c.args.user === user);

test('a gated step without a group asks the responsible group, consulting the privacy officer; the incident message mentions the informed; an outsider is refused, a responsible member approves', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'RaciGatedKey', subject: { principal: 'svc-raci' } }));
  await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'awaiting-approval', 'awaiting approval');
  const ask = blocksOf(await approvalPost(incidentId));
  expect(ask).toContain('<@U1> <@U2>: one approver from *oncall*');
  expect(ask).toContain('*Consulted:* privacy (<@U5>)');

  // The incident's one message names who is informed, with their members mentioned.
  const message = await waitFor(
    async () => [...standin.messages.values()].find((m) => JSON.stringify(m.blocks).includes(incidentId) && JSON.stringify(m.blocks).includes('*Informed:*')),
    (m) => m !== undefined,
    'incident message with the informed',
  );
  expect(JSON.stringify(message!.blocks)).toContain('*Informed:* comms (<@U8>) · privacy (<@U5>)');

  // Consulted is told, not asked: the privacy officer may not approve; nor may anyone outside.
  const told = ephemeralsFor('U5').length;
  await decideInSlack('U5', incidentId, 'fine by privacy');
  const refusal = await waitFor(async () => ephemeralsFor('U5'), (c) => c.length > told, 'refusal to U5');
  expect(String(refusal[refusal.length - 1]!.args.text)).toMatch(/not in the approver group oncall/);
  expect((await stateOf(incidentId)).steps[0]!.approvals).toEqual([]);

  await decideInSlack('U2', incidentId, 'revoke it');
  const done = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'succeeded', 'step succeeded');
  expect(done.steps[0]!.approvals).toEqual([expect.objectContaining({ by: 'U2', decision: 'approve' })]);
  expect(target.requests.filter((r) => r.path === '/raci-gated')).toHaveLength(1);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('an unanswered approval escalates to the accountable group, who may then decide', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'RaciSlowKey', subject: { principal: 'svc-slow' } }));
  const escalation = await waitFor(
    async () => standin.callsOf('chat.postMessage').find((c) => String(c.args.text).startsWith('Escalation') && blocksOf(c).includes(incidentId)),
    (c) => c !== undefined,
    'escalation message',
  );
  expect(blocksOf(escalation!)).toContain('*Escalation* to *leads* <@U7>');
  await waitFor(async () => (await env.client.workflow.getHandle(incidentId).query(timelineQuery)).map((t) => t.kind), (k) => k.includes('approval.escalated'), 'escalated');
  await decideInSlack('U7', incidentId, 'accountable: go');
  const done = await waitFor(() => stateOf(incidentId), (s) => s.steps[0]?.status === 'succeeded', 'step succeeded');
  expect(done.steps[0]!.approvals).toEqual([expect.objectContaining({ by: 'U7' })]);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U7', 'resolve', incidentId), reason: 'done' }] });
});

test('resolve and close by someone outside responsible and accountable are refused with the reason; the incident commander and the accountable role may', async () => {
  const open = async (n: string) => {
    const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: `RaciNotify${n}`, subject: { principal: `svc-${n}` } }));
    await waitFor(() => stateOf(incidentId), (s) => s.runbookDone === true, 'runbook done');
    return incidentId;
  };
  const first = await open('one');
  const id = first.replace(/^incident\//, '');
  // U9 may resolve by the authority table, but is neither responsible nor accountable.
  expect(await reply('U9', `resolve ${id} not ours`)).toMatch(/U9 is neither responsible nor accountable for runbook raci-notify: resolve needs a member of oncall or the communications-lead, or the incident-commander/);
  expect(await reply('U9', `close ${id} noise`)).toMatch(/U9 is neither responsible nor accountable for runbook raci-notify: close as no-action needs a member/);
  expect((await stateOf(first)).status).toBe('open');
  // Made incident commander, U9 may.
  expect(await reply('U1', `role ${id} incident-commander <@U9>`)).toContain('incident-commander');
  expect(await reply('U9', `resolve ${id} handled`)).toContain('Resolved');
  expect((await stateOf(first)).status).toBe('resolved');

  // The accountable role's holder may too; a responsible member may, without any role.
  const second = await open('two');
  const refused = await env.client.workflow
    .getHandle(second)
    .executeUpdate(closeNoActionUpdate, { args: [{ proof: prove('U9', 'close-no-action', second), reason: 'noise' }] })
    .catch((err: { cause?: { message?: string } }) => err.cause?.message);
  expect(refused).toMatch(/U9 is neither responsible nor accountable/);
  expect(await reply('U1', `role ${second.replace(/^incident\//, '')} communications-lead <@U7>`)).toContain('communications-lead');
  await env.client.workflow.getHandle(second).executeUpdate(closeNoActionUpdate, { args: [{ proof: prove('U7', 'close-no-action', second), reason: 'noise' }] });
  expect((await stateOf(second)).status).toBe('closed-no-action');
  const third = await open('three');
  await env.client.workflow.getHandle(third).executeUpdate(resolveUpdate, { args: [{ proof: prove('U2', 'resolve', third), reason: 'done' }] });
  expect((await stateOf(third)).status).toBe('resolved');
});
