/**
 * A step applies exactly the plan its approvers saw. Shipped runbooks against moto: when AWS
 * drifts between approval and execution (an address put in the IP set by hand, a new access key),
 * the playbook writes nothing, the approval is voided with the difference, and approvers are asked
 * again. An undo that ran marks its step compensated and takes the incident back to containing.
 */
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateIPSetCommand, GetIPSetCommand, UpdateIPSetCommand } from '@aws-sdk/client-wafv2';
import type { Notifier } from '../../activities';
import { deliverAlert } from '../../ingress/incidents';
import { approveUpdate, resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { UNDO_CONTAINMENT_WORKFLOW, undoWorkflowId } from '../../workflows/playbooks/definitions';
import type { UndoRequest } from '../../workflows/playbooks/undo';
import { anAlert } from '../support/alerts';
import { eventually, playbookStack, type PlaybookStack } from '../support/aws-playbooks';
import { testGrants, undoRequest } from '../support/decisions';

const prove = testGrants({ 'security-oncall': ['U1', 'U2'] });

jest.setTimeout(120_000);

const notifier: Notifier = { announce: async () => undefined, requestApproval: async () => undefined, targetMissed: async () => undefined, escalate: async () => undefined, post: async () => undefined };
let stack: PlaybookStack;
let ipSet: { name: string; id: string; scope: 'REGIONAL' };

beforeAll(async () => {
  stack = await playbookStack({}, { notifier, approverGroups: { 'security-oncall': ['U1', 'U2'] } });
  const made = await stack.admin.waf.send(new CreateIPSetCommand({ Name: 'edge', Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: [] }));
  ipSet = { name: 'edge', id: made.Summary!.Id!, scope: 'REGIONAL' };
  // The shipped runbooks block into the configured set: restart the worker with it.
  await stack.stopWorker();
  Object.assign(stack.config.aws, { wafIpSet: ipSet });
  await stack.startWorker();
});
afterAll(async () => stack?.teardown());

const writes = (calls: string[]) => calls.filter((c) => /:(Update|Put|Delete|Create|Attach|Schedule)/.test(c));

test('an address put in the IP set by hand after approval: nothing written, approval voided with the difference, asked again', async () => {
  const alert = anAlert({ kind: 'MaliciousTraffic', severity: 'high', subject: { ips: ['203.0.113.50', '203.0.113.51'] } });
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, alert);
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const asked = await eventually(() => handle.query(stateQuery), (s) => s.steps.find((st) => st.id === 'block-sources')?.status === 'awaiting-approval', 'asked');
  const step = asked.steps.find((s) => s.id === 'block-sources')!;
  expect(step.plan).toContain('add 203.0.113.50/32, 203.0.113.51/32 to WAF IP set edge (REGIONAL)');

  // Someone blocks one of the addresses by hand while the approval is pending.
  const current = await stack.admin.waf.send(new GetIPSetCommand({ Name: ipSet.name, Id: ipSet.id, Scope: ipSet.scope }));
  await stack.admin.waf.send(
    new UpdateIPSetCommand({ Name: ipSet.name, Id: ipSet.id, Scope: ipSet.scope, Addresses: ['203.0.113.50/32'], LockToken: current.LockToken! }),
  );
  const before = stack.calls.length;
  await handle.executeUpdate(approveUpdate, { args: [{ proof: prove('U1', 'approve', handle.workflowId, { subject: { stepId: 'block-sources', planHash: step.planHash! } }), stepId: 'block-sources', justification: 'block them', planHash: step.planHash! }] });
  const reasked = await eventually(
    () => handle.query(stateQuery),
    (s) => {
      const st = s.steps.find((x) => x.id === 'block-sources')!;
      return st.status === 'awaiting-approval' && st.planHash !== step.planHash;
    },
    'asked again',
  );
  expect(writes(stack.calls.slice(before))).toEqual([]);
  const again = reasked.steps.find((s) => s.id === 'block-sources')!;
  expect(again.approvals).toEqual([]);
  expect(again.plan).toEqual(expect.arrayContaining(['add 203.0.113.51/32 to WAF IP set edge (REGIONAL)', '203.0.113.50/32 already in WAF IP set edge (REGIONAL) (left as is)']));
  const voided = (await handle.query(timelineQuery)).find((e) => e.kind === 'approval.voided')!;
  expect(voided.message).toMatch(/nothing was changed/);
  expect(voided.message).toContain('+ 203.0.113.50/32 already in WAF IP set edge');
  // The old plan's hash is refused; the new one runs.
  await expect(
    handle.executeUpdate(approveUpdate, { args: [{ proof: prove('U2', 'approve', handle.workflowId, { subject: { stepId: 'block-sources', planHash: step.planHash! } }), stepId: 'block-sources', justification: 'old plan', planHash: step.planHash! }] }),
  ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/plan changed/) } });
  await handle.executeUpdate(approveUpdate, { args: [{ proof: prove('U2', 'approve', handle.workflowId, { subject: { stepId: 'block-sources', planHash: again.planHash! } }), stepId: 'block-sources', justification: 'block the rest', planHash: again.planHash! }] });
  const contained = await eventually(() => handle.query(stateQuery), (s) => s.status === 'contained', 'contained');
  const set = await stack.admin.waf.send(new GetIPSetCommand({ Name: ipSet.name, Id: ipSet.id, Scope: ipSet.scope }));
  expect(set.IPSet!.Addresses!.sort()).toEqual(['203.0.113.50/32', '203.0.113.51/32']);

  // Undo: the step reads compensated and the incident is no longer contained.
  const undo = contained.steps.find((s) => s.id === 'block-sources')!.undo!;
  const request: UndoRequest = undoRequest('U1', incidentId, 'block-sources', undo, 'false positive');
  await stack.env.client.workflow.execute(UNDO_CONTAINMENT_WORKFLOW, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(incidentId, 'block-sources'),
    args: [request],
  });
  const undone = await eventually(() => handle.query(stateQuery), (s) => s.steps.find((x) => x.id === 'block-sources')?.status === 'compensated', 'compensated');
  expect(undone.status).toBe('containing');
  expect(undone.steps.find((s) => s.id === 'block-sources')!.undo).toBeUndefined();
  expect(await handle.query(timelineQuery)).toContainEqual(expect.objectContaining({ kind: 'step.compensated', actor: 'U1' }));
  const lifted = await stack.admin.waf.send(new GetIPSetCommand({ Name: ipSet.name, Id: ipSet.id, Scope: ipSet.scope }));
  expect(lifted.IPSet!.Addresses).toEqual(['203.0.113.50/32']); // the hand-made entry stays
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'false positive' }] });
});

test('a new access key after two approvals: nothing written, voided, the new plan names the new key', async () => {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'svc-exporter' }));
  const first = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-exporter' }))).AccessKey!.AccessKeyId!;
  const alert = anAlert({ kind: 'AbnormalPhiExport', severity: 'high', subject: { principal: 'svc-exporter' } });
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, alert);
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const asked = await eventually(() => handle.query(stateQuery), (s) => s.steps.find((st) => st.id === 'cut-off-principal')?.status === 'awaiting-approval', 'asked', 60_000);
  const step = asked.steps.find((s) => s.id === 'cut-off-principal')!;
  expect(step.plan!.join('\n')).toContain(`deactivate access key ${first}`);

  const second = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-exporter' }))).AccessKey!.AccessKeyId!;
  const before = stack.calls.length;
  for (const by of ['U1', 'U2']) {
    await handle.executeUpdate(approveUpdate, { args: [{ proof: prove(by, 'approve', handle.workflowId, { subject: { stepId: 'cut-off-principal', planHash: step.planHash! } }), stepId: 'cut-off-principal', justification: 'cut off', planHash: step.planHash! }] });
  }
  const reasked = await eventually(
    () => handle.query(stateQuery),
    (s) => s.steps.find((x) => x.id === 'cut-off-principal')!.planHash !== step.planHash,
    'asked again',
  );
  expect(writes(stack.calls.slice(before))).toEqual([]);
  expect(reasked.steps.find((s) => s.id === 'cut-off-principal')!.plan!.join('\n')).toContain(`deactivate access key ${second}`);
  const keys = await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-exporter' }));
  expect(keys.AccessKeyMetadata!.map((k) => k.Status)).toEqual(['Active', 'Active']);
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', handle.workflowId), reason: 'handled by hand' }] });
});
