/**
 * Break-glass access on Temporal's time-skipping server (an hour passes in a moment), moto's IAM
 * (a group, a role's trust) and a local endpoint speaking IAM Identity Center's protocol (account
 * assignments) through the real SDK client. The test plays the ingress: it signs each person's
 * decision for exactly its plan, as the operator API does after checking the authority table.
 * Refusals first: a request past the profile's maximum, a forged requester, an approver outside
 * the group, the requester approving themselves. Then a grant revoked at expiry, early, when its
 * incident resolves, an extension approved anew, a holder removed from configuration.
 * (Reconciliation needs a visibility listing: break-glass-api.test.ts, on the dev server.)
 */
import { CreateGroupCommand, CreateRoleCommand, CreateUserCommand, GetGroupCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import type { AccessHolders } from '../../activities/access';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { accessPlan, resolveGrant, trustStatementSid, type AccessGrant } from '../../domain/access';
import { accessGrantId } from '../../domain/ids';
import { deliverAlert } from '../../ingress/incidents';
import { parseConfig } from '../../platform/config';
import { resolveUpdate, stateQuery } from '../../workflows/definitions';
import {
  accessStatusQuery,
  decideAccessUpdate,
  extendAccessUpdate,
  revokeAccessUpdate,
  type AccessRequestInput,
} from '../../workflows/access/definitions';
import { accessGrantWorkflow } from '../../workflows/access/grant';
import { anAlert } from '../support/alerts';
import { eventually, playbookStack, type PlaybookStack } from '../support/aws-playbooks';
import { prove, testGrants } from '../support/decisions';
import { ssoAdminEndpoint } from '../support/sso-admin-endpoint';
import { memoryAudit } from '../support/temporal';
import { updateRefusal } from '../support/refusals';

jest.setTimeout(180_000);

const INSTANCE = 'arn:aws:sso:::instance/ssoins-1111111111111111';
const PERMISSION_SET = 'arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222';
const ACCOUNT = '123456789012';
const GROUPS = { 'security-oncall': ['ana', 'ben', 'req'], 'security-leads': ['lead', 'lee'] };

const access = parseConfig({
  access: {
    profiles: {
      'phi-logs-read': { target: { type: 'iamGroup', group: 'breakglass-phi-logs' }, maxDuration: '2h', approverGroup: 'security-leads' },
      'sg-admin': { target: { type: 'roleTrust', role: 'breakglass-sg-admin' }, maxDuration: '1h', approverGroup: 'security-leads' },
      'prod-admin': { target: { type: 'permissionSet', instanceArn: INSTANCE, permissionSetArn: PERMISSION_SET, accountId: ACCOUNT }, maxDuration: '4h', approverGroup: 'security-leads', approvers: 2 },
    },
    principals: {
      req: { iamUser: 'req', principalArn: `arn:aws:iam::${ACCOUNT}:user/req`, ssoUserId: 'u-req' },
      ana: { iamUser: 'ana', principalArn: `arn:aws:iam::${ACCOUNT}:user/ana`, ssoUserId: 'u-ana' },
    },
  },
}).access;

let stack: PlaybookStack;
let sso: Awaited<ReturnType<typeof ssoAdminEndpoint>>;
const audit = memoryAudit();
/** who the worker's configuration still has (offboarding removes from here) */
const configured = new Set(['ana', 'ben', 'req', 'lead', 'lee']);
const holders: AccessHolders = {
  known: (p) => configured.has(p),
  groupsOf: (p) => Object.keys(GROUPS).filter((g) => GROUPS[g as keyof typeof GROUPS].includes(p)),
  requestGroups: ['security-oncall', 'security-leads'],
};
const grants = testGrants(GROUPS);
const now = async () => new Date(await stack.env.currentTimeMs());

beforeAll(async () => {
  sso = await ssoAdminEndpoint({ instanceArn: INSTANCE, permissionSetArns: [PERMISSION_SET] });
  stack = await playbookStack(
    {},
    {
      audit,
      access,
      accessHolders: holders,
      notifier: {
        announce: async () => undefined,
        requestApproval: async () => undefined,
        targetMissed: async () => undefined, escalate: async () => undefined,
        post: async () => undefined,
      },
    },
    (clients) => ({ ...clients, ssoAdmin: sso.client() }),
    'time-skipping',
  );
  const iam = stack.admin.iam;
  for (const user of ['req', 'ana', 'mallory']) await iam.send(new CreateUserCommand({ UserName: user }));
  await iam.send(new CreateGroupCommand({ GroupName: 'breakglass-phi-logs' }));
  const trust = { Version: '2012-10-17', Statement: [{ Sid: 'Ec2', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  await iam.send(new CreateRoleCommand({ RoleName: 'breakglass-sg-admin', AssumeRolePolicyDocument: JSON.stringify(trust) }));
});
afterAll(async () => {
  await stack?.teardown();
  await sso?.close();
});

let n = 0;
/** A request as the ingress starts it: the requester's grant binds the plan. */
async function request(profile: string, duration: string, options: { by?: string; incidentId?: string; signedBy?: string } = {}) {
  const by = options.by ?? 'req';
  const p = access.profiles[profile]!;
  const grant = resolveGrant(profile, p.target, by, access.principals[by]) as AccessGrant;
  const requestId = `${profile}-t${++n}`;
  const workflowId = accessGrantId(requestId);
  const plan = accessPlan({ requestId, grant, person: by, duration, ...(options.incidentId ? { incidentId: options.incidentId } : {}) });
  const input: AccessRequestInput = {
    requestId,
    profile,
    grant,
    requester: by,
    duration,
    maxDuration: p.maxDuration,
    reason: 'reading the export logs of the incident',
    ...(options.incidentId ? { incidentId: options.incidentId } : {}),
    approverGroup: p.approverGroup,
    approvers: p.approvers,
    checkEvery: '1m',
    approvalTimeout: '30m',
    proof: grants(options.signedBy ?? by, 'access.request', workflowId, { subject: { planHash: plan.hash }, at: await now() }),
  };
  const handle = await stack.env.client.workflow.start(accessGrantWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId, args: [input] });
  const status = () => handle.query(accessStatusQuery);
  return { handle, status, grant, plan, workflowId };
}

async function decide(r: Awaited<ReturnType<typeof request>>, by: string, decision: 'approve' | 'deny' = 'approve', planHash?: string) {
  const hash = planHash ?? (await r.status()).pending!.planHash;
  const proof = grants(by, 'access.approve', r.workflowId, { subject: { planHash: hash, decision }, at: await now() });
  return r.handle.executeUpdate(decideAccessUpdate, { args: [{ proof, decision, planHash: hash, justification: 'incident needs it' }] });
}


const members = async (group: string) => ((await stack.admin.iam.send(new GetGroupCommand({ GroupName: group }))).Users ?? []).map((u) => u.UserName);
const trustSids = async (role: string) =>
  (JSON.parse(decodeURIComponent((await stack.admin.iam.send(new GetRoleCommand({ RoleName: role }))).Role!.AssumeRolePolicyDocument!)) as { Statement: { Sid?: string }[] }).Statement.map((s) => s.Sid);
// The AWS ledger records (each request as sent, each write as done) are checked by writesOf and sentOf.
const whatOf = (id: string) => audit.events.filter((e) => e.correlationId === id && !e.what.startsWith('aws.write')).map((e) => e.what);
const sentOf = (id: string) => audit.events.filter((e) => e.what === 'aws.write.sent' && e.correlationId === id).map((e) => (e.details as { api: string }).api);
const writesOf = (id: string) => audit.events.filter((e) => e.what === 'aws.write' && (e.details as { workflowId?: string }).workflowId === id).map((e) => (e.details as { api: string }).api);
const active = (r: Awaited<ReturnType<typeof request>>) => eventually(r.status, (v) => v.status === 'active', 'granted');

test('refused: a duration over the profile maximum, and a request signed by someone else; nothing granted', async () => {
  const long = await request('sg-admin', '3h');
  const view = await long.handle.result();
  expect(view.status).toBe('refused');
  expect(view.changes.map((c) => c.message)).toEqual([expect.stringContaining('3h is longer than profile sg-admin allows (at most 1h)')]);

  const forged = await request('phi-logs-read', '1h', { signedBy: 'mallory' });
  expect((await forged.handle.result()).changes[0]!.message).toContain('the request names req but was made by mallory');
  expect(await members('breakglass-phi-logs')).toEqual([]);
  expect(await trustSids('breakglass-sg-admin')).toEqual(['Ec2']);
  expect(whatOf(long.workflowId)).toEqual(['access.refused']);
  expect(stack.calls.filter((c) => c.startsWith('iam:Add') || c.startsWith('iam:Update'))).toEqual([]);
});

test('refused: an approver outside the profile group, the requester approving themselves, a stale plan; then granted and revoked at expiry', async () => {
  const r = await request('phi-logs-read', '1h');
  await eventually(r.status, (v) => v.changes.some((c) => c.what === 'access.requested'), 'asked');
  expect((await r.status()).pending!.plan).toEqual(['add IAM user req to group breakglass-phi-logs (for req)', 'for 1h from the grant, then removed', 'not tied to an incident']);

  expect(await updateRefusal(decide(r, 'ana'))).toBe('ana is not in the approver group security-leads');
  expect(await updateRefusal(decide(r, 'req'))).toBe('req is not in the approver group security-leads');
  // Even with the group in their grant, the requester never approves their own request.
  const self = grants('req', 'access.approve', r.workflowId, { subject: { planHash: r.plan.hash, decision: 'approve' }, groups: ['security-leads'], at: await now() });
  expect(await updateRefusal(r.handle.executeUpdate(decideAccessUpdate, { args: [{ proof: self, decision: 'approve', planHash: r.plan.hash, justification: 'mine' }] }))).toBe(
    'req requested this action and cannot also approve it',
  );
  expect(await updateRefusal(decide(r, 'lead', 'approve', 'f'.repeat(64)))).toBe('the plan changed since this approval was asked for; review the new plan');
  expect(await members('breakglass-phi-logs')).toEqual([]);

  await decide(r, 'lead');
  const granted = await active(r);
  expect(await members('breakglass-phi-logs')).toEqual(['req']);
  expect(Date.parse(granted.expiresAt!) - Date.parse(granted.grantedAt!)).toBe(3_600_000);

  const done = await r.handle.result();
  expect(done).toMatchObject({ status: 'revoked', end: { why: 'expired' } });
  expect(Date.parse(done.endedAt!)).toBeGreaterThanOrEqual(Date.parse(granted.expiresAt!));
  expect(Date.parse(done.endedAt!) - Date.parse(granted.expiresAt!)).toBeLessThan(60_000);
  expect(await members('breakglass-phi-logs')).toEqual([]);
  expect(whatOf(r.workflowId)).toEqual(['access.requested', 'access.approved', 'access.granted', 'access.window.opened', 'access.revoked', 'access.window.closed']);
  expect(writesOf(r.workflowId)).toEqual(['iam:AddUserToGroup', 'iam:RemoveUserFromGroup']);
  expect(sentOf(r.workflowId)).toEqual(['iam:AddUserToGroup', 'iam:RemoveUserFromGroup']);
  expect(done.ledger).toHaveLength(2);
  const revoked = audit.events.find((e) => e.correlationId === r.workflowId && e.what === 'access.revoked')!;
  expect(revoked.details).toMatchObject({ end: 'expired', changed: true });
});

test('revoked early by the requester: the role trust statement goes at once; an outsider may not revoke', async () => {
  const r = await request('sg-admin', '1h');
  await eventually(r.status, (v) => v.pending !== undefined && v.changes.length > 0, 'asked');
  await decide(r, 'lee');
  await active(r);
  const sid = trustStatementSid(`arn:aws:iam::${ACCOUNT}:user/req`);
  expect(await trustSids('breakglass-sg-admin')).toEqual(['Ec2', sid]);

  const outsider = grants('ana', 'access.revoke', r.workflowId, { at: await now() });
  expect(await updateRefusal(r.handle.executeUpdate(revokeAccessUpdate, { args: [{ proof: outsider, reason: 'mine now' }] }))).toContain('only its holder or a member of security-leads');
  const started = await stack.env.currentTimeMs();
  await r.handle.executeUpdate(revokeAccessUpdate, { args: [{ proof: grants('req', 'access.revoke', r.workflowId, { at: await now() }), reason: 'done with it' }] });
  const done = await r.handle.result();
  expect(done).toMatchObject({ status: 'revoked', end: { why: 'revoked', by: 'req', reason: 'done with it' } });
  expect(Date.parse(done.endedAt!) - started).toBeLessThan(60_000);
  expect(await trustSids('breakglass-sg-admin')).toEqual(['Ec2']);
  expect(writesOf(r.workflowId)).toEqual(['iam:UpdateAssumeRolePolicy', 'iam:UpdateAssumeRolePolicy']);
});

test('the incident resolving revokes an Identity Center assignment (two approvers); asked through the SSO Admin protocol', async () => {
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, anAlert({ kind: 'ManualReport' }), 'req');
  const incident = stack.env.client.workflow.getHandle(incidentId);
  await eventually(() => incident.query(stateQuery), (s) => s.requester === 'req', 'incident running');

  const r = await request('prod-admin', '4h', { incidentId });
  await eventually(r.status, (v) => v.changes.some((c) => c.what === 'access.requested'), 'asked');
  await decide(r, 'lead');
  expect(await updateRefusal(decide(r, 'lead'))).toBe('lead has already decided on this step');
  expect((await r.status()).status).toBe('requested');
  await decide(r, 'lee');
  await active(r);
  expect(sso.assignments).toEqual([{ InstanceArn: INSTANCE, AccountId: ACCOUNT, PermissionSetArn: PERMISSION_SET, PrincipalType: 'USER', PrincipalId: 'u-req' }]);
  expect(sso.received.map((x) => x.target)).toEqual(
    expect.arrayContaining(['SWBExternalService.ListAccountAssignments', 'SWBExternalService.CreateAccountAssignment', 'SWBExternalService.DescribeAccountAssignmentCreationStatus']),
  );

  const resolvedAt = await stack.env.currentTimeMs();
  await incident.executeUpdate(resolveUpdate, { args: [{ proof: prove('lead', 'resolve', incidentId, { at: await now() }), reason: 'contained' }] });
  const done = await r.handle.result();
  expect(done).toMatchObject({ status: 'revoked', end: { why: 'incident-resolved' } });
  // At the next check, not at the end of the 4h window.
  expect(Date.parse(done.endedAt!) - resolvedAt).toBeLessThan(2 * 60_000 + 1_000);
  expect(sso.assignments).toEqual([]);
  expect(writesOf(r.workflowId)).toEqual(['sso:CreateAccountAssignment', 'sso:DeleteAccountAssignment']);
  expect(audit.events.find((e) => e.correlationId === r.workflowId && e.what === 'access.requested')!.why).toMatchObject({ incident: incidentId });
});

test('an extension is a new plan approved anew; a holder removed from configuration loses it at the next check', async () => {
  const r = await request('phi-logs-read', '1h');
  await eventually(r.status, (v) => v.changes.some((c) => c.what === 'access.requested'), 'asked');
  await decide(r, 'lead');
  const granted = await active(r);
  const ask = (extendBy: string, by = 'req') =>
    r.handle.executeUpdate(extendAccessUpdate, { args: [{ proof: grants(by, 'access.request', r.workflowId, { subject: { extendBy }, at: new Date(Date.parse(granted.grantedAt!)) }), extendBy, reason: 'not done yet' }] });
  expect(await updateRefusal(ask('3h'))).toBe('3h is longer than profile phi-logs-read allows (at most 2h)');
  expect(await updateRefusal(ask('30m', 'ana'))).toContain('only req, who holds it, may ask to extend');
  const asked = await ask('30m');
  expect(asked.pending).toMatchObject({ kind: 'extension', until: new Date(Date.parse(granted.expiresAt!) + 1_800_000).toISOString() });
  expect(await updateRefusal(decide(r, 'req'))).toContain('is not in the approver group');
  await decide(r, 'lead');
  const extended = await eventually(r.status, (v) => v.pending === undefined, 'extended');
  expect(extended.expiresAt).toBe(asked.pending!.until);

  configured.delete('req');
  try {
    const done = await r.handle.result();
    expect(done).toMatchObject({ status: 'revoked', end: { why: 'holder-removed' } });
    expect(Date.parse(done.endedAt!)).toBeLessThan(Date.parse(granted.expiresAt!));
  } finally {
    configured.add('req');
  }
  expect(await members('breakglass-phi-logs')).toEqual([]);
  expect(whatOf(r.workflowId)).toEqual(expect.arrayContaining(['access.extension.requested', 'access.extension.approved', 'access.extended', 'access.revoked']));
});

test('`tourniquet iam-policy` grants every call the break-glass grants made', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws, '*', { access: Object.values(access.profiles).map((p) => p.target) }));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(expect.arrayContaining(['iam:AddUserToGroup', 'iam:RemoveUserFromGroup', 'iam:UpdateAssumeRolePolicy', 'sso:CreateAccountAssignment', 'sso:DeleteAccountAssignment']));
  expect(made.filter((c) => !granted.has(c))).toEqual([]);
});


