/**
 * The retirement of a replaced KMS key, on Temporal's time-skipping server (weeks pass in
 * seconds), moto's KMS, and a local endpoint speaking CloudTrail's protocol. The rotation runs
 * while its incident is open; the incident is resolved before any of this, so nothing here may
 * lean on it. A key used recently is never offered for deletion; once unused for the period it
 * is, and only two distinct approvers of the group (not the requester, not one person twice)
 * schedule it; a use between the offer and the scheduling writes nothing; the pending window is
 * cancellable, which enables the key again. The same from the command line.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import type { Notifier } from '../../activities';
import { RETIRED_KEY_SID } from '../../activities/aws/key-policy';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import type { RunbookStep } from '../../domain/runbook';
import { deliverAlert } from '../../ingress/incidents';
import { resolveUpdate, stateQuery } from '../../workflows/definitions';
import {
  approveKeyDeletionUpdate,
  cancelKmsKeyDeletionUpdate,
  KEY_RETIREMENT_WORKFLOW,
  keyRetirementStatusQuery,
  keyRetirementWorkflowId,
  type KeyRetirementInput,
  type KeyRetirementView,
} from '../../workflows/playbooks/definitions';
import type { keyRetirementWorkflow } from '../../workflows/playbooks/key-retirement';
import { rotateKeyWorkflow } from '../../workflows/playbooks/rotate-key';
import { anAlert } from '../support/alerts';
import { runCli } from '../support/cli';
import { eventually, playbookStack, type PlaybookStack } from '../support/aws-playbooks';
import { cloudTrailEndpoint, type LookupRequest, type TrailEvent } from '../support/cloudtrail-endpoint';
import { memoryAudit } from '../support/temporal';
import { prove, testGrants, undoRequest } from '../support/decisions';
import { UNDO_CONTAINMENT_WORKFLOW, undoWorkflowId } from '../../workflows/playbooks/definitions';
import { updateRefusal } from '../support/refusals';

jest.setTimeout(180_000);

const DAY = 86_400_000;

let stack: PlaybookStack;
let trail: Awaited<ReturnType<typeof cloudTrailEndpoint>>;
const audit = memoryAudit();
const posts: { incidentId: string; text: string }[] = [];
const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  targetMissed: async () => undefined, escalate: async () => undefined,
  post: async (incidentId, text) => void posts.push({ incidentId, text }),
};

/** What CloudTrail knows: uses of keys (by ARN) at workflow times, and keys in steady use. */
const uses: { keyArn: string; at: number; event: string }[] = [];
const busy = new Set<string>();

/** Pages of two, newest first, as CloudTrail answers; the worker's own management calls mixed in. */
function answer(req: LookupRequest): TrailEvent[][] {
  const arn = req.LookupAttributes[0]!.AttributeValue;
  const [from, to] = [req.StartTime * 1000, req.EndTime * 1000];
  const event = (name: string, at: number, i: number): TrailEvent => ({
    EventId: `${name}-${at}-${i}`,
    EventName: name,
    EventSource: 'kms.amazonaws.com',
    EventTime: at / 1000,
    Resources: [{ ResourceType: 'AWS::KMS::Key', ResourceName: arn }],
    CloudTrailEvent: JSON.stringify({ eventName: name }),
  });
  const events = [
    event('DescribeKey', to - 1_000, 0),
    event('GetKeyPolicy', to - 2_000, 1),
    event('ListAliases', to - 3_000, 2),
    ...(busy.has(arn) ? [event('GenerateDataKey', to - 3_600_000, 3)] : []),
    ...uses.filter((u) => u.keyArn === arn && u.at >= from && u.at <= to).map((u, i) => event(u.event, u.at, 10 + i)),
  ].sort((a, b) => b.EventTime - a.EventTime);
  const pages: TrailEvent[][] = [];
  for (let i = 0; i < events.length; i += 2) pages.push(events.slice(i, i + 2));
  return pages.length > 0 ? pages : [[]];
}

beforeAll(async () => {
  trail = await cloudTrailEndpoint(answer);
  stack = await playbookStack(
    { onDemandRotationLimit: 0, keyRetirement: { unusedFor: '30d', checkEvery: '1d', approvalGroup: 'security-leads' } },
    { notifier, audit, approverGroups: { 'security-oncall': ['U-ana', 'U-ben', 'U-cho', 'U-req'], 'security-leads': ['U-lead'] } },
    (clients) => ({ ...clients, cloudTrail: trail.client }),
    'time-skipping',
  );
});
afterAll(async () => {
  await stack?.teardown();
  await trail?.close();
});

const ROTATE_STEP: RunbookStep = {
  id: 'rotate-key',
  type: 'rotateKey',
  with: {},
  approval: { group: 'security-oncall', approvers: 2, timeout: '30m', escalateTo: 'security-leads', finalTimeout: '2h', onTimeout: 'deny' },
  timeout: '5m',
  retry: { maximumAttempts: 5, initialInterval: '1s' },
  continueOnError: false,
};

const describeKey = async (keyId: string) => (await stack.admin.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
const count = (action: string) => stack.calls.filter((c) => c === action).length;
const now = () => stack.env.currentTimeMs();
const grants = testGrants({ 'security-oncall': ['U-ana', 'U-ben', 'U-cho', 'U-req'], 'security-leads': ['U-lead'] });

/** A person's approval as the operator API sends it: a grant for the offer they reviewed, at the test server's time. */
async function approveAs(handle: ReturnType<typeof stack.env.client.workflow.getHandle>, by: string, justification: string, offer?: number) {
  const n = offer ?? (await handle.query(keyRetirementStatusQuery)).offer?.n;
  const proof = grants(by, 'kms.deletion.approve', handle.workflowId, { subject: { offer: String(n ?? '') }, at: new Date(await now()) });
  return handle.executeUpdate(approveKeyDeletionUpdate, { args: [{ proof, justification, ...(offer !== undefined ? { offer } : {}) }] });
}

async function cancelAs(handle: ReturnType<typeof stack.env.client.workflow.getHandle>, by: string, reason: string) {
  const proof = grants(by, 'kms.deletion.cancel', handle.workflowId, { at: new Date(await now()) });
  return handle.executeUpdate(cancelKmsKeyDeletionUpdate, { args: [{ proof, reason }] });
}

const whatOf = (id: string) => audit.events.filter((e) => e.correlationId === id).map((e) => e.what);

/**
 * A key rotated (replaced: no on-demand rotations in this stack) by a step of an incident that U-req
 * opened by hand; the incident is resolved right after, and the retirement goes on without it.
 */
async function retiredKey(name: string) {
  const made = await stack.admin.kms.send(new CreateKeyCommand({}));
  const keyId = made.KeyMetadata!.KeyId!;
  await stack.admin.kms.send(new CreateAliasCommand({ AliasName: `alias/${name}`, TargetKeyId: keyId }));
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, anAlert({ kind: 'ManualReport' }), 'U-req');
  const incident = stack.env.client.workflow.getHandle(incidentId);
  await eventually(() => incident.query(stateQuery), (s) => s.requester === 'U-req', 'incident running');

  const outcome = await stack.env.client.workflow.execute(rotateKeyWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${incidentId.replace(/^incident\//, '')}/rotate-key`,
    args: [{ incidentId, stepId: 'rotate-key', params: { keyId: `alias/${name}`, pendingWindowDays: 7 } }, ROTATE_STEP],
  });
  await incident.executeUpdate(resolveUpdate, { args: [{ proof: prove('U-lead', 'resolve', incidentId, { at: new Date(await now()) }), reason: 'contained by rotation' }] });
  const id = keyRetirementWorkflowId(incidentId, 'rotate-key');
  const handle = stack.env.client.workflow.getHandle(id);
  return { keyId, keyArn: made.KeyMetadata!.Arn!, incidentId, id, handle, outcome, status: () => handle.query(keyRetirementStatusQuery) };
}

// Time skips only while the workflows are idle: a sleep that ends between two daily checks (the
// half days below) returns with no usage check in flight.


test('a key in use is never offered; quiet for 30 days it is, told to the responders and audited', async () => {
  const key = await retiredKey('in-use');
  expect(key.outcome.summary).toContain('deletion offered once unused for 30d');
  expect((await describeKey(key.keyId)).KeyState).toBe('Enabled');
  busy.add(key.keyArn);

  await stack.env.sleep(31 * DAY);
  let view = await key.status();
  expect(view.status).toBe('watching');
  expect(view.offer).toBeUndefined();
  expect(view.lastUse?.event).toBe('GenerateDataKey');
  expect((await now()) - Date.parse(view.lastUse!.at)).toBeLessThan(DAY + 3_600_001);
  expect(whatOf(key.id)).not.toContain('kms.retirement.deletion-offered');
  // The worker's own DescribeKey/GetKeyPolicy/ListAliases never count as use; pages were followed.
  expect(trail.received.filter((r) => r.body.LookupAttributes[0]!.AttributeValue === key.keyArn).some((r) => r.body.NextToken)).toBe(true);

  // The last application stops using it: 29 quiet days are not enough, 30 are.
  busy.delete(key.keyArn);
  const lastUse = Date.parse(view.lastUse!.at);
  await stack.env.sleep(lastUse + 29 * DAY - (await now()));
  expect((await key.status()).status).toBe('watching');
  await stack.env.sleep(2 * DAY);
  view = await key.status();
  expect(view).toMatchObject({ status: 'offered', offer: { n: 1 }, approvals: [], quietSince: new Date(lastUse).toISOString() });
  expect(whatOf(key.id)).toContain('kms.retirement.deletion-offered');
  const told = posts.filter((p) => p.incidentId === key.incidentId && p.text.includes(key.keyId)).map((p) => p.text);
  expect(told).toEqual([expect.stringContaining(`tourniquet kms approve-deletion ${key.incidentId.replace(/^incident\//, '')} rotate-key`)]);
  expect((await describeKey(key.keyId)).KeyState).toBe('Enabled');
});

test('two-person rule: requester, outsider, no reason, the same person twice are refused; a use before scheduling writes nothing', async () => {
  const key = await retiredKey('approvals');
  await stack.env.sleep(31.5 * DAY);
  expect((await key.status()).status).toBe('offered');
  const approve = (by: string, justification = 'no use in 30 days; data re-encrypted', offer?: number) => approveAs(key.handle, by, justification, offer);

  expect(await updateRefusal(approve('U-req'))).toBe('U-req requested this action and cannot also approve it');
  expect(await updateRefusal(approve('U-lead'))).toBe('U-lead is not in the approver group security-oncall');
  expect(await updateRefusal(approve('U-ana', '  '))).toBe('a justification is required');
  expect(await updateRefusal(approve('U-ana', 'ok', 7))).toBe('the plan changed since this approval was asked for; review the new plan');
  const one = await approve('U-ana');
  expect(one).toMatchObject({ status: 'offered', approvals: [expect.objectContaining({ by: 'U-ana' })] });
  expect(await updateRefusal(approve('U-ana'))).toBe('U-ana has already decided on this step');
  // One approval schedules nothing, however long it waits.
  await stack.env.sleep(2 * DAY);
  expect((await describeKey(key.keyId)).KeyState).toBe('Enabled');
  expect((await key.status()).status).toBe('offered');

  // A nightly batch decrypts with the old key just before the second approval.
  const schedules = count('kms:ScheduleKeyDeletion');
  const usedAt = (await now()) - 60_000;
  uses.push({ keyArn: key.keyArn, at: usedAt, event: 'Decrypt' });
  await approve('U-ben');
  const back = await eventually(() => key.status(), (v) => v.status !== 'offered', 'back to watching');
  expect(back).toMatchObject({ status: 'watching', approvals: [], lastUse: { event: 'Decrypt', at: new Date(usedAt).toISOString() } });
  expect(back.offer).toBeUndefined();
  expect(back.changes.map((c) => c.what)).toContain('kms.retirement.used-before-deletion');
  expect(back.changes.find((c) => c.what === 'kms.retirement.used-before-deletion')!.message).toMatch(/nothing was scheduled/);
  expect(count('kms:ScheduleKeyDeletion')).toBe(schedules);
  const state = await describeKey(key.keyId);
  expect(state.KeyState).toBe('Enabled');
  expect(state.DeletionDate).toBeUndefined();
  expect(await updateRefusal(approve('U-cho'))).toMatch(/not on offer \(the key is watching\)/);
});

test('two approvals schedule the deletion with the pending window; cancelling enables the key and watches it again', async () => {
  const key = await retiredKey('deleted');
  await stack.env.sleep(31.5 * DAY);
  const offered = await key.status();
  expect(offered.status).toBe('offered');
  for (const by of ['U-ana', 'U-cho']) {
    await approveAs(key.handle, by, 'unused for 30 days', offered.offer!.n);
  }
  const scheduled = await eventually(() => key.status(), (v) => v.status === 'scheduled', 'deletion scheduled');
  const pending = await describeKey(key.keyId);
  expect(pending.KeyState).toBe('PendingDeletion');
  // moto dates the deletion from its own (real) clock: the window is 7 days from now.
  const days = (pending.DeletionDate!.getTime() - Date.now()) / DAY;
  expect(days).toBeGreaterThan(6.9);
  expect(days).toBeLessThan(7.1);
  expect(scheduled.deletion).toMatchObject({ deletionDate: pending.DeletionDate!.toISOString() });
  expect(whatOf(key.id)).toContain('kms.retirement.deletion-scheduled');

  expect(await updateRefusal(cancelAs(key.handle, 'U-lead', ' '))).toBe('a reason is required');
  const cancelled = await cancelAs(key.handle, 'U-lead', 'the archive still needs it');
  expect(cancelled).toMatchObject({ status: 'watching', approvals: [] });
  const again = await describeKey(key.keyId);
  expect(again.KeyState).toBe('Enabled');
  expect(again.DeletionDate).toBeUndefined();
  // Still retired: the deny on new ciphertext stays.
  const policy = JSON.parse((await stack.admin.kms.send(new GetKeyPolicyCommand({ KeyId: key.keyId, PolicyName: 'default' }))).Policy!);
  expect(policy.Statement.map((s: { Sid?: string }) => s.Sid)).toContain(RETIRED_KEY_SID);
  expect(await updateRefusal(cancelAs(key.handle, 'U-lead', 'again'))).toMatch(/no deletion .* is scheduled/);
  expect(whatOf(key.id)).toContain('kms.retirement.deletion-cancelled');
});

test('a retirement that continues as new keeps what it knew and still offers on time', async () => {
  const made = await stack.admin.kms.send(new CreateKeyCommand({}));
  const id = 'key-retirement/continued/rotate-key';
  const input: KeyRetirementInput = {
    keyId: made.KeyMetadata!.KeyId!,
    keyArn: made.KeyMetadata!.Arn!,
    replacementKeyId: 'replacement-key-id',
    aliases: [],
    incidentId: 'incident/continued',
    stepId: 'rotate-key',
    startedAt: new Date(await now()).toISOString(),
    unusedFor: '30d',
    unusedForMs: 30 * DAY,
    checkEvery: '1d',
    checkEveryMs: DAY,
    pendingWindowDays: 7,
    approvalGroup: 'security-oncall',
    requester: 'U-req',
    historyLimit: 40,
  };
  const handle = await stack.env.client.workflow.start<typeof keyRetirementWorkflow>(KEY_RETIREMENT_WORKFLOW, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: id,
    args: [input],
  });
  uses.push({ keyArn: input.keyArn, at: (await now()) + 5 * DAY, event: 'Decrypt' });
  await stack.env.sleep(34 * DAY);
  let view: KeyRetirementView = await handle.query(keyRetirementStatusQuery);
  expect(view.status).toBe('watching');
  expect(view.lastUse?.event).toBe('Decrypt');
  await stack.env.sleep(2 * DAY);
  view = await handle.query(keyRetirementStatusQuery);
  expect(view.status).toBe('offered');
  expect(view.changes.map((c) => c.what)).toEqual(['kms.retirement.started', 'kms.retirement.deletion-offered']);
  expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
});

const cli = (...args: string[]) => runCli(stack.env, stack.config, ...args);

test('from the command line: status, approvals (one refused), and the cancellation', async () => {
  const key = await retiredKey('by-cli');
  await stack.env.sleep(31.5 * DAY);
  const fp = key.incidentId.replace(/^incident\//, '');

  const status = await cli('kms', 'status', fp, 'rotate-key');
  expect(status.code).toBe(0);
  expect(status.out).toContain(`${key.id}: KMS key ${key.keyId} is offered`);
  expect(status.out).toMatch(/offer 1\): 0 of 2 approvals from security-oncall/);

  // Decisions go through the operator API (it signs at wall-clock time, which this time-skipping
  // server has left behind): sent here as the API sends them, with grants at the server's time.
  await expect(approveAs(key.handle, 'U-req', 'mine', 1)).rejects.toThrow(WorkflowUpdateFailedError);
  for (const by of ['U-ben', 'U-cho']) await approveAs(key.handle, by, 'quiet for a month', 1);
  await eventually(() => key.status(), (v) => v.status === 'scheduled', 'deletion scheduled');
  expect((await describeKey(key.keyId)).KeyState).toBe('PendingDeletion');
  const scheduled = await cli('kms', 'status', fp, 'rotate-key');
  expect(scheduled.out).toMatch(/deletion scheduled .* \(7-day window; cancellable until then\)/);

  await cancelAs(key.handle, 'U-lead', 'legal hold');
  expect((await describeKey(key.keyId)).KeyState).toBe('Enabled');
  expect((await cli('kms', 'status', fp, 'rotate-key')).out).toContain('is watching');

  const unknown = await cli('kms', 'status', 'no-such-incident', 'rotate-key');
  expect(unknown.code).toBe(3);
});

test('a retirement terminated while the deletion is pending: cancel-deletion still cancels it, through the undo', async () => {
  const key = await retiredKey('terminated');
  await stack.env.sleep(31.5 * DAY);
  for (const by of ['U-ana', 'U-ben']) await approveAs(key.handle, by, 'unused');
  await eventually(() => key.status(), (v) => v.status === 'scheduled', 'deletion scheduled');
  await key.handle.terminate('operator cleanup');
  expect((await describeKey(key.keyId)).KeyState).toBe('PendingDeletion');

  // As the operator API does for a retirement that no longer runs: the cancellation as an undo of the step.
  const undo = { type: 'cancelKmsKeyDeletion', params: { keyId: key.keyId, keyRetirementWorkflowId: key.id }, description: `cancel the deletion of ${key.keyId}` };
  const summary = await stack.env.client.workflow.execute(UNDO_CONTAINMENT_WORKFLOW, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(key.incidentId, 'rotate-key/cancel-key-deletion'),
    args: [undoRequest('U-lead', key.incidentId, 'rotate-key', undo, 'terminated by mistake', { at: new Date(await now()) })],
  });
  expect(summary).toContain(`KMS key ${key.keyId}: deletion cancelled, enabled again`);
  expect((await describeKey(key.keyId)).KeyState).toBe('Enabled');
});

test('every AWS call of the retirements (CloudTrail included) is granted by the worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(expect.arrayContaining(['cloudtrail:LookupEvents', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:EnableKey', 'kms:PutKeyPolicy']));
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
