/**
 * The incident lifecycle on a real Temporal dev server: repeated alerts make one incident, a
 * failing step is recorded and escalated, approvals are validated, and resolve ends the incident.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import { deliverAlert } from '../../ingress/incidents';
import { SnapshotReader } from '../../ingress/dashboard/snapshot';
import type { Config } from '../../platform/config';
import {
  acknowledgeUpdate,
  approveUpdate,
  closeNoActionUpdate,
  denyUpdate,
  resolveUpdate,
  retryStepUpdate,
  skipStepUpdate,
  stateQuery,
  timelineQuery,
} from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { lifecycleRunbooks, waitFor } from '../support/runbooks';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { testGrants } from '../support/decisions';

const prove = testGrants({ responders: ['U1', 'U2', 'U3'] });

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let target: Awaited<ReturnType<typeof httpTarget>>;
const escalations: Escalation[] = [];
const audit = memoryAudit();

/**
 * Slack refusing for good (the bot is not in the channel) for the incidents listed here, and for
 * texts saying so (the notifier sees only what may be shown: titles are withheld).
 */
const REFUSED = 'slack refuses';
const refusedIncidents = new Set<string>();
const refuse = (text: string) => {
  if (text.includes(REFUSED) || refusedIncidents.has(text)) throw ApplicationFailure.nonRetryable('slack chat.postMessage: not_in_channel', 'SlackPlatformError');
};

function recordingNotifier(): Notifier {
  return {
    announce: async (state) => void refuse(state.id),
    requestApproval: async (ask) => void refuse(ask.incidentId),
    targetMissed: async () => undefined, escalate: async (e) => void escalations.push(e),
    post: async (_incident, text) => void refuse(text),
  };
}

/** `/flaky` answers 400 until a test lets it through. */
let flakyStatus = 400;

beforeAll(async () => {
  target = await httpTarget((path) => (path === '/reject' ? 400 : path === '/flaky' ? flakyStatus : 200));
  const runbooksDir = lifecycleRunbooks(target.url);
  writeFileSync(
    join(runbooksDir, 'flaky.yaml'),
    `id: flaky
title: A step that fails until it does not
escalationGroup: security-leads
match: [{ kinds: ["Flaky*"] }]
steps:
  - id: call-flaky
    type: webhook
    with: { url: "${target.url}/flaky" }
    retry: { maximumAttempts: 1 }
  - id: after-flaky
    type: webhook
    with: { url: "${target.url}/ok" }
`,
  );
  writeFileSync(
    join(runbooksDir, 'frozen.yaml'),
    `id: frozen
title: A gated step with parameters from the alert
match: [{ kinds: ["Frozen*"] }]
steps:
  - id: tell
    type: notify
    with: { text: "${REFUSED}: \${alert.kind}" }
  - id: cut-off
    type: webhook
    with: { url: "${target.url}/frozen", payload: { principal: "\${alert.subject.principal}" } }
    approval: { group: responders, approvers: 1, timeout: 1h, finalTimeout: 1h }
`,
  );
  config = testConfig({ runbooksDir });
  env = await startDevServer(config);
  const activities = createActivities(
    testActivityDeps({ runbooksDir, notifier: recordingNotifier(), audit, approverGroups: { responders: ['U1', 'U2', 'U3'] } }),
  );
  stopWorker = (await startWorker(env, config, activities)).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
});

test('repeated alerts and retried deliveries make one incident', async () => {
  const first = anAlert({ kind: 'OkSignal' });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, first);
  await deliverAlert(env.client, config.temporal.taskQueue, first); // sender retry: same delivery
  await deliverAlert(env.client, config.temporal.taskQueue, { ...first, deliveryId: 'second', severity: 'critical' });

  const handle = env.client.workflow.getHandle(incidentId);
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained');
  expect(state.alertCount).toBe(2);
  expect(state.severity).toBe('critical');
  expect(state.runbook?.id).toBe('notify-ok');
  expect(state.runbook?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  expect(state.steps).toEqual([expect.objectContaining({ id: 'call-soar', status: 'succeeded' })]);
  expect(target.requests.filter((r) => r.path === '/ok')).toHaveLength(1);
  expect(JSON.parse(target.requests.find((r) => r.path === '/ok')!.body).payload).toEqual({ principal: 'svc-export' });

  const listed: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${incidentId}'` })) listed.push(wf.runId);
  expect(listed).toHaveLength(1);

  await handle.executeUpdate(acknowledgeUpdate, { args: [{ proof: prove('U1', 'acknowledge', handle.workflowId) }] });
  const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'key rotated, false positive' }] });
  expect(resolved.status).toBe('resolved');
  const final = await handle.result();
  expect(final.status).toBe('resolved');
  expect(final.acknowledgedBy).toBe('U1');
  const kinds = (await handle.query(timelineQuery)).map((t) => t.kind);
  expect(kinds).toEqual(expect.arrayContaining(['alert.attached', 'incident.opened', 'step.succeeded', 'incident.acknowledged']));
  expect(audit.events.some((e) => e.what === 'incident.status' && e.why.reason === 'key rotated, false positive')).toBe(true);
});

test('a failing step is recorded and escalated, never silently skipped', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'BrokenThing' }));
  const handle = env.client.workflow.getHandle(incidentId);
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.escalated);
  expect(state.status).toBe('containing');
  const [broken, after] = state.steps;
  expect(broken).toMatchObject({ id: 'call-broken', status: 'failed' });
  expect(broken!.error).toContain('answered 400');
  expect(after).toBeUndefined(); // the runbook halted at the failure
  // 4xx is final: one call, not retried.
  expect(target.requests.filter((r) => r.path === '/reject')).toHaveLength(1);
  await waitFor(async () => escalations, (e) => e.some((x) => x.incidentId === incidentId), 'the escalation');
  expect(escalations).toContainEqual(expect.objectContaining({ incidentId, stepId: 'call-broken', group: 'security-leads' }));
  await expect(handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'handled by hand' }] });
  expect((await handle.result()).status).toBe('resolved');
});

test('an approval gate needs two distinct authorised approvers who did not request it', async () => {
  const alert = anAlert({ kind: 'GatedThing' });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, alert, 'U3');
  const handle = env.client.workflow.getHandle(incidentId);
  const waiting = await waitFor(() => handle.query(stateQuery), (s) => s.steps[0]?.status === 'awaiting-approval');
  const planHash = waiting.steps[0]!.planHash!;
  const approve = (by: string, hash = planHash) =>
    handle.executeUpdate(approveUpdate, { args: [{ proof: prove(by, 'approve', handle.workflowId, { subject: { stepId: 'risky', planHash: hash } }), stepId: 'risky', justification: 'contain it', planHash: hash }] });

  await expect(approve('U9')).rejects.toThrow(WorkflowUpdateFailedError); // not in the group
  await expect(approve('U3')).rejects.toThrow(WorkflowUpdateFailedError); // the requester
  await expect(approve('U1', 'stale')).rejects.toThrow(WorkflowUpdateFailedError); // another plan
  await approve('U1');
  await expect(approve('U1')).rejects.toMatchObject({ cause: { message: expect.stringMatching(/already decided/) } }); // double click
  let state = await handle.query(stateQuery);
  expect(state.steps[0]!.status).toBe('awaiting-approval');
  expect(target.requests.filter((r) => r.path === '/risky')).toHaveLength(0);

  await approve('U2');
  state = await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained');
  expect(state.steps[0]!.approvals.map((a) => a.by)).toEqual(['U1', 'U2']);
  expect(target.requests.filter((r) => r.path === '/risky')).toHaveLength(1);
  await expect(
    handle.executeUpdate(denyUpdate, { args: [{ proof: prove('U1', 'deny', handle.workflowId, { subject: { stepId: 'risky' } }), stepId: 'risky', justification: 'late' }] }),
  ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/not awaiting approval/) } });
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'done' }] });
});

test('an alert no runbook matches stays with a person until closed as no-action with a reason', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'Unheard' }));
  const handle = env.client.workflow.getHandle(incidentId);
  await waitFor(() => handle.query(timelineQuery), (t) => t.some((e) => e.kind === 'incident.triage'), 'triage recorded');
  const state = await handle.query(stateQuery);
  expect(state.runbook?.id).toBe('triage');
  expect(state.status).toBe('open'); // nothing was contained: never `contained`
  expect(state.steps).toEqual([expect.objectContaining({ id: 'tell-responders', status: 'succeeded' })]);
  await expect(handle.executeUpdate(closeNoActionUpdate, { args: [{ proof: prove('U1', 'close-no-action', handle.workflowId), reason: ' ' }] })).rejects.toThrow(WorkflowUpdateFailedError);
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ proof: prove('U1', 'acknowledge', handle.workflowId) }] });
  const closed = await handle.executeUpdate(closeNoActionUpdate, { args: [{ proof: prove('U1', 'close-no-action', handle.workflowId), reason: 'scanner noise' }] });
  expect(closed.status).toBe('closed-no-action');
  expect((await handle.result()).resolution).toBe('scanner noise');
  expect(audit.events.some((e) => e.what === 'incident.status' && e.details?.message === 'open → closed-no-action' && e.why.reason === 'scanner noise')).toBe(true);
});

test('an incident where something was contained cannot be closed as no-action', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'OkClose' }));
  const handle = env.client.workflow.getHandle(incidentId);
  await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained');
  await expect(handle.executeUpdate(closeNoActionUpdate, { args: [{ proof: prove('U1', 'close-no-action', handle.workflowId), reason: 'nothing to see' }] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/call-soar changed something: resolve/) },
  });
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'done' }] });
});

test('a long-lived incident continues as new and keeps everything it knew', async () => {
  const alert = anAlert({ kind: 'OkLong' });
  const workflowId = `incident/${alert.fingerprint}`;
  const handle = await env.client.workflow.signalWithStart('incidentWorkflow', {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{ id: workflowId, requester: 'alert:generic', historyLimit: 60 }],
    signal: 'alert',
    signalArgs: [alert],
  });
  await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained');
  for (let i = 0; i < 40; i++) {
    await deliverAlert(env.client, config.temporal.taskQueue, { ...alert, deliveryId: `storm-${i}` });
  }
  await deliverAlert(env.client, config.temporal.taskQueue, { ...alert, deliveryId: 'storm-3' }); // already seen
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.alertCount === 41);
  // Continuing as new happens once the storm's side effects are flushed.
  const latest = await waitFor(
    () => env.client.workflow.getHandle(workflowId).describe(),
    (d) => d.runId !== handle.signaledRunId,
  );
  expect(latest.status.name).toBe('RUNNING');
  // The dashboard and /metrics count the incident once, not once per run.
  expect((await env.client.workflow.count(`WorkflowId = '${workflowId}'`)).count).toBeGreaterThan(1);
  const otherContained = `WorkflowType = 'incidentWorkflow' AND TourniquetStatus = 'contained' AND WorkflowId != '${workflowId}' AND ExecutionStatus != 'ContinuedAsNew'`;
  await waitFor(
    async () => [(await new SnapshotReader(env.client, 0).snapshot()).byStatus.contained, (await env.client.workflow.count(otherContained)).count + 1],
    ([counted, expected]) => counted === expected,
    'this incident counted once among the contained',
    10_000,
  );
  expect(state.steps[0]).toMatchObject({ id: 'call-soar', status: 'succeeded' });
  expect(state.runbook?.id).toBe('notify-ok');
  await new Promise((r) => setTimeout(r, 500));
  expect((await handle.query(stateQuery)).alertCount).toBe(41);
  await env.client.workflow.getHandle(workflowId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', workflowId), reason: 'done' }] });
});

test('a Slack that refuses for good is recorded on the timeline; the incident goes on and can be approved', async () => {
  const alert = anAlert({ kind: 'GatedRefused', title: `${REFUSED} here` });
  refusedIncidents.add(`incident/${alert.fingerprint}`);
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, alert, 'U3');
  const handle = env.client.workflow.getHandle(incidentId);
  const waiting = await waitFor(() => handle.query(stateQuery), (s) => s.steps[0]?.status === 'awaiting-approval');
  const timeline = await waitFor(() => handle.query(timelineQuery), (t) => t.filter((e) => e.kind === 'notify.failed').length >= 2, 'both refusals recorded');
  expect(timeline.filter((e) => e.kind === 'notify.failed').map((e) => e.message)).toEqual(
    expect.arrayContaining([expect.stringMatching(/incident message: .*not_in_channel/), expect.stringMatching(/approval request: .*not_in_channel/)]),
  );
  // Approved another way (the CLI uses the same update), the step runs and the incident is contained.
  for (const by of ['U1', 'U2']) {
    await handle.executeUpdate(approveUpdate, { args: [{ proof: prove(by, 'approve', handle.workflowId, { subject: { stepId: 'risky', planHash: waiting.steps[0]!.planHash! } }), stepId: 'risky', justification: 'contain it', planHash: waiting.steps[0]!.planHash! }] });
  }
  await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained', 'contained');
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'done' }] });
  expect((await handle.query(stateQuery)).status).toBe('resolved');
});

test('a failed step halts the runbook until a person retries it; the retry runs it again', async () => {
  flakyStatus = 400;
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'FlakyRetry' }));
  const handle = env.client.workflow.getHandle(incidentId);
  const failed = await waitFor(() => handle.query(stateQuery), (s) => s.steps[0]?.status === 'failed');
  expect(failed.steps[0]).toMatchObject({ id: 'call-flaky', halted: true, error: expect.stringMatching(/answered 400/) });
  expect(failed.steps).toHaveLength(1); // halted: the next step waits
  expect(failed.status).toBe('containing');
  const retry = (stepId: string, reason: string) => handle.executeUpdate(retryStepUpdate, { args: [{ proof: prove('U1', 'step.retry', handle.workflowId, { subject: { stepId: stepId } }), stepId, reason }] });
  await expect(retry('call-flaky', '')).rejects.toMatchObject({ cause: { message: expect.stringMatching(/needs a reason/) } });
  await expect(retry('after-flaky', 'go')).rejects.toMatchObject({ cause: { message: expect.stringMatching(/no step after-flaky has run/) } });
  await waitFor(async () => escalations.filter((e) => e.incidentId === incidentId), (e) => e.length === 1, 'one escalation');
  expect(escalations.find((e) => e.incidentId === incidentId)!.message).toMatch(/The runbook waits: retry or skip the step/);

  flakyStatus = 200;
  await retry('call-flaky', 'endpoint fixed');
  await expect(retry('call-flaky', 'again')).rejects.toThrow(WorkflowUpdateFailedError); // not failed any more, or decided
  const contained = await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained', 'contained after the retry');
  expect(contained.steps.map((s) => [s.id, s.status, s.runs])).toEqual([
    ['call-flaky', 'succeeded', 2],
    ['after-flaky', 'succeeded', 1],
  ]);
  expect(escalations.filter((e) => e.incidentId === incidentId)).toHaveLength(1);
  const kinds = (await handle.query(timelineQuery)).map((t) => t.kind);
  expect(kinds).toEqual(expect.arrayContaining(['step.failed', 'step.retry', 'step.succeeded']));
  expect(audit.events).toContainEqual(expect.objectContaining({ what: 'step.retry', who: 'U1', why: expect.objectContaining({ reason: 'endpoint fixed' }) }));
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'done' }] });
});

test('a skipped failed step lets the runbook go on, and the incident is not called contained', async () => {
  flakyStatus = 400;
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'FlakySkip' }));
  const handle = env.client.workflow.getHandle(incidentId);
  await waitFor(() => handle.query(stateQuery), (s) => s.steps[0]?.halted === true);
  await handle.executeUpdate(skipStepUpdate, { args: [{ proof: prove('U2', 'step.skip', handle.workflowId, { subject: { stepId: 'call-flaky' } }), stepId: 'call-flaky', reason: 'done by hand in the console' }] });
  const state = await waitFor(() => handle.query(stateQuery), (s) => s.runbookDone === true, 'runbook finished');
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['call-flaky', 'skipped'],
    ['after-flaky', 'succeeded'],
  ]);
  expect(state.status).toBe('containing');
  const timeline = await handle.query(timelineQuery);
  expect(timeline).toContainEqual(expect.objectContaining({ kind: 'containment.incomplete', message: expect.stringMatching(/call-flaky skipped/) }));
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'done' }] });
});

test('a gated step runs with the parameters its approvers saw, whatever alerts arrive later; a refused notify does not stop it', async () => {
  const first = anAlert({ kind: 'FrozenThing', subject: { principal: 'svc-first' } });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, first, 'U3');
  const handle = env.client.workflow.getHandle(incidentId);
  const waiting = await waitFor(() => handle.query(stateQuery), (s) => s.steps[1]?.status === 'awaiting-approval');
  // The notify step was refused by Slack: recorded, not escalated, and the runbook went on.
  expect(waiting.steps[0]).toMatchObject({ id: 'tell', status: 'failed', halted: false });
  expect(escalations.filter((e) => e.incidentId === incidentId)).toHaveLength(0);
  expect(waiting.steps[1]!.plan!.join(' ')).toContain('svc-first');

  await deliverAlert(env.client, config.temporal.taskQueue, { ...first, deliveryId: 'later', subject: { principal: 'svc-later' } });
  await waitFor(() => handle.query(stateQuery), (s) => s.alertCount === 2);
  await handle.executeUpdate(approveUpdate, { args: [{ proof: prove('U1', 'approve', handle.workflowId, { subject: { stepId: 'cut-off', planHash: waiting.steps[1]!.planHash! } }), stepId: 'cut-off', justification: 'contain', planHash: waiting.steps[1]!.planHash! }] });
  await waitFor(() => handle.query(stateQuery), (s) => s.status === 'contained', 'contained');
  const calls = target.requests.filter((r) => r.path === '/frozen');
  expect(calls.map((r) => JSON.parse(r.body).payload.principal)).toEqual(['svc-first']);
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'done' }] });
});

test('only a grant for exactly this decision, used once, decides: no proof, another incident, step or plan, a foreign key and a replay are refused', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'GatedProof' }), 'U3');
  const handle = env.client.workflow.getHandle(incidentId);
  const waiting = await waitFor(() => handle.query(stateQuery), (s) => s.steps[0]?.status === 'awaiting-approval');
  const planHash = waiting.steps[0]!.planHash!;
  const subject = { stepId: 'risky', planHash };
  const send = (proof: ReturnType<typeof prove> | undefined, extra: Record<string, unknown> = {}) =>
    handle.executeUpdate(approveUpdate, { args: [{ proof: proof!, stepId: 'risky', justification: 'contain it', planHash, ...extra }] });
  const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: { cause?: { message?: string; type?: string } }) => `${err.cause?.type}: ${err.cause?.message}`);

  expect(await refusal(send(undefined, { by: 'U1' }))).toMatch(/^NotAuthorised: no proof of an authenticated, authorised operator/);
  expect(await refusal(send(prove('U1', 'approve', 'incident/another', { subject })))).toMatch(/proof is for incident\/another, not incident\//);
  expect(await refusal(send(prove('U1', 'approve', incidentId, { subject: { stepId: 'other', planHash } })))).toMatch(/proof is for stepId other, not risky/);
  expect(await refusal(send(prove('U1', 'approve', incidentId, { subject: { stepId: 'risky', planHash: 'f'.repeat(64) } })))).toMatch(/proof is for planHash f+, not/);
  expect(await refusal(send(prove('U1', 'deny', incidentId, { subject })))).toMatch(/proof is for deny, not approve/);
  const foreign = { kid: 'test-key', secretKey: 'b2'.repeat(32) };
  expect(await refusal(send(prove('U1', 'approve', incidentId, { subject, key: foreign })))).toMatch(/signature is not valid/);
  expect(await refusal(send(prove('U1', 'approve', incidentId, { subject, at: new Date(Date.now() - 10 * 60_000) })))).toMatch(/expired/);
  // A grant naming groups the person is not in was not signed by the ingress: groups are part of what is signed.
  const forged = prove('U9', 'approve', incidentId, { subject });
  expect(await refusal(send({ ...forged, grant: { ...forged.grant, groups: ['responders'] } }))).toMatch(/signature is not valid/);
  expect((await handle.query(stateQuery)).steps[0]!.approvals).toEqual([]);

  const grant = prove('U1', 'approve', incidentId, { subject });
  expect(await refusal(send(grant))).toBe('accepted');
  // The same grant again (a replayed command), even on behalf of someone else's request fields.
  expect(await refusal(send(grant))).toMatch(/already used once/);
  expect(await refusal(send(grant, { justification: 'replayed' }))).toMatch(/already used once/);
  const after = await handle.query(stateQuery);
  expect(after.steps[0]!.approvals.map((a) => a.by)).toEqual(['U1']);
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'done' }] });
});
