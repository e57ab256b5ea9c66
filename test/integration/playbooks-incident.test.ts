/**
 * The AWS playbooks as runbook steps of a real incident (child workflows of incidentWorkflow):
 * an alert naming a leaked key and attacker addresses is contained in moto, the undos are offered
 * in the incident state, an unknown principal escalates with a clear message, an alert naming a
 * Cognito user of the API signs that user out (an unknown one fails the step), and every AWS call
 * the worker made is granted by the `tourniquet iam-policy` policy.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRolePolicyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateIPSetCommand, GetIPSetCommand } from '@aws-sdk/client-wafv2';
import type { Escalation, Notifier } from '../../activities';
import { workerIamPolicy } from '../../activities/aws';
import { grantedActions } from '../../activities/aws/policy';
import type { Alert } from '../../domain/alert';
import { normalise } from '../../ingress/alerts/normalise';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { WEBHOOK_SOURCE_SPECS } from '../../ingress/alerts/sources';
import { deliverAlert } from '../../ingress/incidents';
import { fixture } from '../fixtures/alerts';
import { stateQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { portalPool } from '../support/cognito';
import { eventually, playbookStack, type PlaybookStack } from '../support/aws-playbooks';
import { RUNBOOKS_DIR } from '../support/temporal';

jest.setTimeout(120_000);

const runbooksDir = join(tmpdir(), `tq-aws-runbooks-${process.pid}-${Date.now()}`);
const escalations: Escalation[] = [];
const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  targetMissed: async () => undefined, escalate: async (e) => void escalations.push(e),
  post: async () => undefined,
};
let stack: PlaybookStack;

beforeAll(async () => {
  mkdirSync(runbooksDir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(runbooksDir, 'triage.yaml'));
  stack = await playbookStack({}, { runbooksDir, notifier });
  const made = await stack.admin.waf.send(new CreateIPSetCommand({ Name: 'edge', Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: [] }));
  // The loader reads runbooks when an incident opens, so the file can name the set made just now.
  writeFileSync(
    join(runbooksDir, 'leaked-key.yaml'),
    `id: leaked-key
title: Leaked key used from attacker addresses
escalationGroup: security-leads
match: [{ kinds: ["LeakedKey*"] }]
steps:
  - id: revoke-key
    type: revokeCredentials
    with:
      principal: "\${alert.subject.principal}"
      accessKeyIds: ["\${alert.subject.accessKeyId}"]
      deleteAfter: 7d
    retry: { maximumAttempts: 3, initialInterval: 200ms }
  - parallel:
      - id: block-sources
        type: blockTraffic
        with:
          cidrs: "\${alert.subject.ips}"
          duration: 24h
          ipSet: { name: edge, id: "${made.Summary!.Id}", scope: REGIONAL }
      - id: rotate-key
        type: rotateKey
        with: { keyId: "\${alert.subject.kmsKeyId}", pendingWindowDays: 7 }
  - id: revoke-key-access
    type: revokeKeyAccess
    with: { keyId: "\${alert.subject.kmsKeyId}" }
`,
  );
  // The shipped runbooks' parameters for a principal of any type, without their approval gate.
  writeFileSync(
    join(runbooksDir, 'session-theft.yaml'),
    `id: session-theft
title: A role session's or the root user's credentials used from outside
escalationGroup: security-leads
match: [{ sources: [guardduty], kinds: ["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration*", "Policy:IAMUser/RootCredentialUsage"] }]
steps:
  - id: revoke-session
    type: revokeCredentials
    with:
      principal: "\${alert.subject.principal}"
      principalType: "\${alert.subject.principalType?}"
      sessionName: "\${alert.subject.sessionName?}"
      sessionIssuer: "\${alert.subject.sessionIssuer?}"
      accountId: "\${alert.subject.accountId?}"
      accessKeyIds: ["\${alert.subject.accessKeyId}"]
    retry: { maximumAttempts: 3, initialInterval: 200ms }
`,
  );
  // The credential runbook's revoke step with its Cognito reference, without the approval gate.
  writeFileSync(
    join(runbooksDir, 'portal-takeover.yaml'),
    `id: portal-takeover
title: A patient portal account used from a leaked key's addresses
escalationGroup: security-leads
match: [{ kinds: ["PortalTakeover"] }]
steps:
  - id: revoke-user
    type: revokeCredentials
    with:
      principal: "\${alert.subject.principal}"
      accessKeyIds: ["\${alert.subject.accessKeyId}"]
      keep: true
      cognito: "\${alert.subject.cognitoUser?}"
    retry: { maximumAttempts: 3, initialInterval: 200ms }
`,
  );
});
afterAll(async () => stack?.teardown());

/** A GuardDuty finding from the fixtures, as the ingress normalises it. */
function guardDutyAlert(name: string): Alert {
  const [alert] = parseDelivery(WEBHOOK_SOURCE_SPECS.guardduty, Buffer.from(fixture(name).replace(/"id": "([0-9a-f]{32})"/, `"id": "$1${Date.now()}"`)));
  return normalise('guardduty', alert!, 'raw/guardduty/test', 0, new Date());
}

test('an alert is contained by the four playbooks as child workflows; undos are offered, not run', async () => {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'svc-billing' }));
  const leaked = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-billing' }))).AccessKey!.AccessKeyId!;
  const spare = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-billing' }))).AccessKey!.AccessKeyId!;
  const key = await stack.admin.kms.send(new CreateKeyCommand({}));
  await stack.admin.kms.send(new CreateAliasCommand({ AliasName: 'alias/billing', TargetKeyId: key.KeyMetadata!.KeyId! }));
  await stack.admin.kms.send(new CreateGrantCommand({ KeyId: key.KeyMetadata!.KeyId!, GranteePrincipal: 'arn:aws:iam::123456789012:role/leaked', Operations: ['Decrypt'] }));

  const alert = anAlert({
    kind: 'LeakedKeyUsed',
    subject: { principal: 'svc-billing', accessKeyId: leaked, ips: ['203.0.113.10', '198.51.100.0/24'], kmsKeyId: 'alias/billing' },
  });
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, alert);
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const state = await eventually(() => handle.query(stateQuery), (s) => s.status === 'contained' || s.escalated, 'contained', 60_000);
  expect(state.escalated).toBe(false);
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['revoke-key', 'succeeded'],
    ['block-sources', 'succeeded'],
    ['rotate-key', 'succeeded'],
    ['revoke-key-access', 'succeeded'],
  ]);
  expect(state.steps.find((s) => s.id === 'revoke-key')!.undo).toMatchObject({ type: 'reactivateAccessKeys', params: { accessKeyIds: [leaked] } });
  expect(state.steps.find((s) => s.id === 'block-sources')!.undo).toMatchObject({ type: 'unblockTraffic' });

  const keys = await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-billing' }));
  expect(Object.fromEntries(keys.AccessKeyMetadata!.map((k) => [k.AccessKeyId, k.Status]))).toEqual({ [leaked]: 'Inactive', [spare]: 'Active' });
  const ipSet = state.steps.find((s) => s.id === 'block-sources')!.undo!.params.ipSet as { name: string; id: string };
  const set = await stack.admin.waf.send(new GetIPSetCommand({ Name: ipSet.name, Id: ipSet.id, Scope: 'REGIONAL' }));
  expect(set.IPSet!.Addresses!.sort()).toEqual(['198.51.100.0/24', '203.0.113.10/32']);
  expect(state.steps.find((s) => s.id === 'rotate-key')!.summary).toContain('on demand');
  expect(state.steps.find((s) => s.id === 'revoke-key-access')!.summary).toContain('1 grant(s) revoked');
  expect(state.steps.find((s) => s.id === 'revoke-key-access')!.undo).toMatchObject({ type: 'restoreKeyAccess' });

  // The playbooks ran as the incident's children, under their deterministic ids.
  const fp = incidentId.replace(/^incident\//, '');
  const children: string[] = [];
  for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId STARTS_WITH 'playbook/${fp}/'` })) children.push(wf.workflowId);
  expect(children.sort()).toEqual([`playbook/${fp}/block-sources`, `playbook/${fp}/revoke-key`, `playbook/${fp}/revoke-key-access`, `playbook/${fp}/rotate-key`]);
});

test('an unknown principal escalates with a clear message and the runbook stops there', async () => {
  const alert = anAlert({ kind: 'LeakedKeyUsed', subject: { principal: 'ghost-user', accessKeyId: 'AKIAGHOSTGHOSTGHOST1', ips: ['203.0.113.99'], kmsKeyId: 'alias/none' } });
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, alert);
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const state = await eventually(() => handle.query(stateQuery), (s) => s.escalated, 'escalated', 60_000);
  expect(state.steps).toEqual([expect.objectContaining({ id: 'revoke-key', status: 'failed', error: 'no IAM user or role named ghost-user; nothing was changed' })]);
  const told = await eventually(async () => escalations.filter((e) => e.incidentId === incidentId), (e) => e.length > 0, 'escalation sent');
  expect(told).toEqual([
    expect.objectContaining({ stepId: 'revoke-key', group: 'security-leads', message: expect.stringContaining('no IAM user or role named ghost-user') }),
  ]);
});

test('a GuardDuty finding about an EC2 instance role is contained on the role, with its undo offered', async () => {
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'patient-api-instance', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }));
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, guardDutyAlert('guardduty-assumed-role'));
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const state = await eventually(() => handle.query(stateQuery), (s) => s.status === 'contained' || s.escalated, 'contained', 60_000);
  expect(state.steps).toEqual([
    expect.objectContaining({
      id: 'revoke-session',
      status: 'succeeded',
      undo: expect.objectContaining({ type: 'removeSessionRevocation', params: expect.objectContaining({ target: { kind: 'role', name: 'patient-api-instance' } }) }),
    }),
  ]);
  const policy = await stack.admin.iam.send(new GetRolePolicyCommand({ RoleName: 'patient-api-instance', PolicyName: 'TourniquetRevokeOlderSessions' }));
  expect(decodeURIComponent(policy.PolicyDocument!)).toContain('aws:TokenIssueTime');
});

test("a root finding fails its step with what a person must do, and that is the escalation", async () => {
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, guardDutyAlert('guardduty-root'));
  const handle = stack.env.client.workflow.getHandle(incidentId);
  const state = await eventually(() => handle.query(stateQuery), (s) => s.escalated, 'escalated', 60_000);
  expect(state.steps).toEqual([
    expect.objectContaining({ id: 'revoke-session', status: 'failed', error: expect.stringMatching(/^the root user of account 123456789012 cannot be contained by automation/) }),
  ]);
  const told = await eventually(async () => escalations.filter((e) => e.incidentId === incidentId), (e) => e.length > 0, 'escalation sent');
  expect(told[0]!.message).toContain('A person must now: sign in as the root user and change its password; delete every root access key (the alert names ASIAQ3EGVZK7EXAMPLE3)');
});

test("an alert naming a Cognito user of the API: the user is signed out everywhere, its refresh token refused; one naming none is contained as before", async () => {
  const portal = await portalPool(stack.admin.cognito);
  const pool = portal.userPoolId;
  const refreshToken = await portal.signedInUser('pat-0042');
  const refresh = () => portal.refresh(refreshToken);
  const contain = async (user: string, cognitoUser?: { userPoolId: string; username: string }) => {
    await stack.admin.iam.send(new CreateUserCommand({ UserName: user }));
    const key = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
    const alert = anAlert({ kind: 'PortalTakeover', subject: { principal: user, accessKeyId: key, ...(cognitoUser ? { cognitoUser } : {}) } });
    const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, alert);
    const state = await eventually(() => stack.env.client.workflow.getHandle(incidentId).query(stateQuery), (s) => s.status === 'contained' || s.escalated, 'contained', 60_000);
    return state.steps[0]!;
  };

  const signOuts = stack.calls.filter((c) => c === 'cognito-idp:AdminUserGlobalSignOut').length;
  const plain = await contain('svc-portal-plain');
  expect(plain).toMatchObject({ status: 'succeeded', summary: 'deactivated 1 access key(s) of svc-portal-plain; sessions of user svc-portal-plain issued before now revoked; keys kept' });
  await expect(refresh()).resolves.toBeDefined();

  const named = await contain('svc-portal-named', { userPoolId: pool, username: 'pat-0042' });
  expect(named.status).toBe('succeeded');
  expect(named.undo!.description).toContain(`Cognito user pat-0042 of user pool ${pool} stays signed out (a sign-out cannot be undone: the user signs in again)`);
  expect(named.summary).toContain(`Cognito user pat-0042 of user pool ${pool} signed out everywhere`);
  expect(stack.calls.filter((c) => c === 'cognito-idp:AdminUserGlobalSignOut').length - signOuts).toBe(1);
  await expect(refresh()).rejects.toMatchObject({ name: 'NotAuthorizedException' });

  // A user the pool does not have: the step fails and escalates, the incident goes on in a person's hands.
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'svc-portal-ghost' }));
  const key = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-portal-ghost' }))).AccessKey!.AccessKeyId!;
  const ghost = anAlert({ kind: 'PortalTakeover', subject: { principal: 'svc-portal-ghost', accessKeyId: key, cognitoUser: { userPoolId: pool, username: 'nobody-0042' } } });
  const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, ghost);
  const state = await eventually(() => stack.env.client.workflow.getHandle(incidentId).query(stateQuery), (s) => s.escalated, 'escalated', 60_000);
  expect(state.status).not.toBe('closed');
  expect(state.steps).toEqual([
    expect.objectContaining({ id: 'revoke-user', status: 'failed', error: `Cognito user nobody-0042 of user pool ${pool} does not exist; nothing was changed` }),
  ]);
  const keys = await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-portal-ghost' }));
  expect(keys.AccessKeyMetadata!.map((k) => k.Status)).toEqual(['Active']);
});

test('every AWS call the worker made is granted by the least-privilege worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made.length).toBeGreaterThan(8);
  expect(made).toEqual(expect.arrayContaining(['cognito-idp:AdminGetUser', 'cognito-idp:AdminUserGlobalSignOut']));
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
