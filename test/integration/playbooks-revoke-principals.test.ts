/**
 * revokeCredentials for principals as AWS reports them, against moto and a real Temporal dev
 * server: GuardDuty findings (an IAM user, an EC2 instance role's session with a temporary key,
 * the root user, a federated user) go through the ingress mapping and the shipped runbooks' step
 * parameters to a plan and a playbook run. A role session denies the role's older sessions and
 * touches no user; root and a federated user without a known issuer fail before any AWS call,
 * saying what a person must do; a key not in the account, a same-named principal in another
 * account and roles AWS forbids editing change nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { createAwsClients, createAwsPlanners } from '../../activities/aws';
import type { Alert } from '../../domain/alert';
import { resolveParams, stepsOf } from '../../domain/runbook';
import { normalise } from '../../ingress/alerts/normalise';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { WEBHOOK_SOURCE_SPECS } from '../../ingress/alerts/sources';
import type { WebhookSource } from '../../platform/config';
import { loadRunbooks, parseRunbook, selectRunbook } from '../../runbooks';
import { undoWorkflowId } from '../../workflows/playbooks/definitions';
import { revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { undoRequest } from '../support/decisions';
import { STEP_TYPE_NAMES } from '../../workflows/steps';
import { fixture } from '../fixtures/alerts';
import { playbookStack, recordCalls, stepInput, type CallLog, type PlaybookStack } from '../support/aws-playbooks';
import { RUNBOOKS_DIR } from '../support/temporal';

jest.setTimeout(120_000);

let stack: PlaybookStack;
let planCalls: CallLog;
let plan: ReturnType<typeof createAwsPlanners>['revokeCredentials'];

beforeAll(async () => {
  stack = await playbookStack();
  planCalls = [];
  plan = createAwsPlanners({ aws: recordCalls(createAwsClients(stack.config.aws), planCalls), awsSettings: stack.config.aws }).revokeCredentials!;
});
afterAll(async () => stack?.teardown());

const WRITE = /:(Update|Delete|Put|Create|Attach|Detach|Remove)/;
const ASSUME_EC2 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

/** A delivery as the ingress normalises it. */
function delivered(source: WebhookSource, body: string): Alert {
  const [alert] = parseDelivery(WEBHOOK_SOURCE_SPECS[source], Buffer.from(body));
  return normalise(source, alert!, `raw/${source}/test`, 0, new Date());
}
/** The parts of a GuardDuty finding the tests edit. */
type GuardDutyEvent = { detail: { accountId?: string; resource: { accessKeyDetails: Record<string, string> } } };
const guardDuty = (name: string, edit: (event: GuardDutyEvent) => void = () => undefined) => {
  const event = JSON.parse(fixture(name));
  edit(event);
  return delivered('guardduty', JSON.stringify(event));
};

/** The shipped runbook this alert selects, and its revokeCredentials step's parameters for it. */
function shippedStep(alert: Alert): { runbook: string; params: Record<string, unknown> } {
  const pinned = selectRunbook(loadRunbooks(RUNBOOKS_DIR, STEP_TYPE_NAMES), alert);
  const step = stepsOf(pinned.runbook).find((s) => s.type === 'revokeCredentials')!;
  const { params, missing } = resolveParams(step.with, { alert, incident: { id: 'incident/test', severity: alert.severity } });
  expect(missing).toEqual([]);
  return { runbook: pinned.runbook.id, params };
}
const stepOf = (file: string, id: string) => stepsOf(parseRunbook(file, readFileSync(join(RUNBOOKS_DIR, file), 'utf8'), STEP_TYPE_NAMES).runbook).find((s) => s.id === id)!;

function run(input: ReturnType<typeof stepInput>) {
  return stack.env.client.workflow.execute(revokeCredentialsWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}`,
    args: [input],
  });
}
const undo = (input: ReturnType<typeof stepInput>, outcome: Awaited<ReturnType<typeof run>>) =>
  stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `${undoWorkflowId(input.incidentId, input.stepId)}-${Date.now()}`,
    args: [undoRequest('U1', input.incidentId, input.stepId, outcome.undo!, 'the instance was ours')],
  });

/** The final failure a playbook run ends with, and every AWS call the worker made meanwhile. */
async function refused(input: ReturnType<typeof stepInput>) {
  const before = stack.calls.length;
  const err = await run(input).catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as { nonRetryable?: boolean; message: string; type?: string };
  expect(cause.nonRetryable).toBe(true);
  return { cause, calls: stack.calls.slice(before) };
}

/** The planner's AWS calls for one plan (it only ever reads). */
async function planned(params: Record<string, unknown>) {
  const before = planCalls.length;
  const result = await plan({ type: 'revokeCredentials', incidentId: 'incident/test', stepId: 'plan', params }).catch((e: Error) => e);
  return { result, calls: planCalls.slice(before) };
}

async function userPolicies(name: string) {
  return (await stack.admin.iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? [];
}
async function rolePolicies(name: string) {
  return (await stack.admin.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
}
async function keyStatuses(name: string) {
  const listed = await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: name }));
  return (listed.AccessKeyMetadata ?? []).map((k) => k.Status);
}

test('an EC2 instance role used outside AWS: the role\'s older sessions are denied, the user of the same name is untouched', async () => {
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'patient-api-instance', AssumeRolePolicyDocument: ASSUME_EC2 }));
  // An IAM user with the role's name: looking the role up as a user would cut off the wrong principal.
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'patient-api-instance' }));
  await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'patient-api-instance' }));

  const alert = guardDuty('guardduty-assumed-role');
  const { runbook, params } = shippedStep(alert);
  expect(runbook).toBe('credential-compromise');
  expect(params).toMatchObject({ principal: 'patient-api-instance', principalType: 'assumed-role', sessionName: 'i-0abc12345def67890', accessKeyIds: ['ASIAQ3EGVZK7EXAMPLE1'] });

  const { result, calls } = await planned(params);
  expect((result as { lines: string[] }).lines).toEqual([
    'temporary key ASIAQ3EGVZK7EXAMPLE1 expires on its own; it cannot be deactivated (the session deny stops it now)',
    'attach inline policy TourniquetRevokeOlderSessions to IAM role patient-api-instance (assumed-role session i-0abc12345def67890): deny credentials issued before containment',
    'every current session of IAM role patient-api-instance is cut off, not only this one: instances and services using the role fail until they fetch new credentials',
  ]);
  expect(calls).toEqual(['iam:GetRole', 'iam:GetRolePolicy']);

  const input = stepInput('revoke-key', params);
  const before = stack.calls.length;
  const outcome = await run(input);
  const made = stack.calls.slice(before);
  expect(made.filter((c) => WRITE.test(c))).toEqual(['iam:PutRolePolicy']);
  expect(made.filter((c) => /User|AccessKey|LoginProfile/.test(c))).toEqual([]);
  expect(outcome.summary).toContain('temporary key(s) ASIAQ3EGVZK7EXAMPLE1 left to expire');
  expect(outcome.summary).toContain('sessions of role patient-api-instance issued before now revoked');

  const policy = await stack.admin.iam.send(new GetRolePolicyCommand({ RoleName: 'patient-api-instance', PolicyName: 'TourniquetRevokeOlderSessions' }));
  const statement = JSON.parse(decodeURIComponent(policy.PolicyDocument!)).Statement[0];
  expect(statement).toMatchObject({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': expect.any(String) } } });
  expect(await userPolicies('patient-api-instance')).toEqual([]);
  expect(await keyStatuses('patient-api-instance')).toEqual(['Active']);

  // What can be undone is offered: the deny this step attached.
  expect(outcome.undo).toMatchObject({ type: 'removeSessionRevocation', params: { target: { kind: 'role', name: 'patient-api-instance' } } });
  expect(await undo(input, outcome)).toContain('removed the session deny from IAM role patient-api-instance');
  expect(await rolePolicies('patient-api-instance')).toEqual([]);
  expect(await undo(input, outcome)).toBe('IAM role patient-api-instance had no session deny any more');
});

test('undoing an earlier revocation keeps the deny a later containment refreshed', async () => {
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'etl-nightly', AssumeRolePolicyDocument: ASSUME_EC2 }));
  const params = { principal: 'etl-nightly', principalType: 'assumed-role' };
  const first = stepInput('revoke-first', params);
  const firstOutcome = await run(first);
  await new Promise((r) => setTimeout(r, 1_100)); // a later containment, with a later issue time
  const second = stepInput('revoke-second', params);
  const secondOutcome = await run(second);
  expect(secondOutcome.undo).toBeUndefined(); // the policy was there already: not this step's to remove
  expect(await undo(first, firstOutcome)).toBe('kept the session deny on IAM role etl-nightly: a later containment has refreshed it');
  expect(await rolePolicies('etl-nightly')).toEqual(['TourniquetRevokeOlderSessions']);
});

test('root: a final error saying what a person must do; no AWS call at all', async () => {
  const alert = guardDuty('guardduty-root');
  const { runbook, params } = shippedStep(alert);
  expect(runbook).toBe('suspicious-admin-activity');
  expect(params).toMatchObject({ principalType: 'root', removeLoginProfile: true, quarantine: true });

  const { result, calls } = await planned(params);
  expect(calls).toEqual([]);
  const message = (result as Error).message;
  expect(message).toMatch(/^the root user of account 123456789012 cannot be contained by automation: no IAM policy applies to root; nothing was changed\. A person must now: /);
  for (const todo of ['sign in as the root user and change its password', 'delete every root access key;', 'check that MFA is on', 'review CloudTrail for root activity']) {
    expect(message).toContain(todo);
  }
  // A runbook that names the alert's key (credential-compromise does) gets it in the instructions.
  const named = await planned({ ...params, accessKeyIds: [alert.subject.accessKeyId] });
  expect((named.result as Error).message).toContain('delete every root access key (the alert names ASIAQ3EGVZK7EXAMPLE3)');

  const { cause, calls: runCalls } = await refused(stepInput('freeze-admin', params));
  expect(cause).toMatchObject({ type: 'ManualActionRequired', message });
  expect(runCalls).toEqual([]);
});

test('a federated user whose issuer the finding does not name: a final error with the way to find it; nothing changed', async () => {
  const alert = guardDuty('guardduty-federated');
  const { runbook, params } = shippedStep(alert);
  expect(runbook).toBe('credential-compromise');
  const { result, calls } = await planned(params);
  expect(calls).toEqual([]);
  expect((result as Error).message).toMatch(
    /^federated user partner-portal's sessions \(GetFederationToken\) can only be revoked through the IAM user whose access keys created them, and the alert does not name that user; nothing was changed\. A person must: find that user in CloudTrail \(event GetFederationToken for federated user partner-portal\); attach to it an inline policy denying all actions when aws:TokenIssueTime is before now/,
  );
  const { cause, calls: runCalls } = await refused(stepInput('revoke-key', params));
  expect(cause.type).toBe('ManualActionRequired');
  expect(runCalls).toEqual([]);
});

test('a federated user whose issuer a CloudTrail identity names: the deny goes on the issuing user, whose keys stay', async () => {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'portal-broker' }));
  await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'portal-broker' }));
  const alert = delivered(
    'generic',
    JSON.stringify({
      kind: 'LeakedAccessKey',
      severity: 'high',
      title: 'federation token posted in a ticket',
      subject: {
        userIdentity: {
          type: 'FederatedUser',
          principalId: '123456789012:partner-portal',
          arn: 'arn:aws:sts::123456789012:federated-user/partner-portal',
          accountId: '123456789012',
          accessKeyId: 'ASIAQ3EGVZK7EXAMPLE4',
          sessionContext: { sessionIssuer: { type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', arn: 'arn:aws:iam::123456789012:user/portal-broker', accountId: '123456789012', userName: 'portal-broker' } },
        },
      },
    }),
  );
  const { params } = shippedStep(alert);
  const { result } = await planned(params);
  expect((result as { lines: string[] }).lines).toEqual([
    'temporary key ASIAQ3EGVZK7EXAMPLE4 expires on its own; it cannot be deactivated (the session deny stops it now)',
    'attach inline policy TourniquetRevokeOlderSessions to IAM user portal-broker (whose keys created the sessions of federated user partner-portal): deny credentials issued before containment',
    'the access keys of IAM user portal-broker are not changed: a federated session it creates after containment works',
  ]);
  const before = stack.calls.length;
  await run(stepInput('revoke-key', params));
  expect(stack.calls.slice(before).filter((c) => WRITE.test(c))).toEqual(['iam:PutUserPolicy']);
  const policy = await stack.admin.iam.send(new GetUserPolicyCommand({ UserName: 'portal-broker', PolicyName: 'TourniquetRevokeOlderSessions' }));
  expect(decodeURIComponent(policy.PolicyDocument!)).toContain('aws:TokenIssueTime');
  expect(await keyStatuses('portal-broker')).toEqual(['Active']);
});

test('an IAM user finding whose key is not in this account: final, nothing changed', async () => {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'svc-export' }));
  await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-export' }));
  const { params } = shippedStep(guardDuty('guardduty'));
  const { result } = await planned(params);
  expect((result as Error).message).toBe('access key(s) AKIAIOSFODNN7EXAMPLE do not belong to IAM user svc-export; nothing was changed');
  const { cause, calls } = await refused(stepInput('revoke-key', params));
  expect(cause).toMatchObject({ type: 'NoSuchEntity', message: 'access key(s) AKIAIOSFODNN7EXAMPLE do not belong to IAM user svc-export; nothing was changed' });
  expect(calls.filter((c) => WRITE.test(c))).toEqual([]);
  expect(await keyStatuses('svc-export')).toEqual(['Active']);
  expect(await userPolicies('svc-export')).toEqual([]);
});

test('an IAM user\'s console session (temporary key): the user\'s sessions are denied, its access keys are said to stay', async () => {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'dr-ops' }));
  const key = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'dr-ops' }))).AccessKey!.AccessKeyId!;
  const alert = guardDuty('guardduty', (e) => {
    e.detail.resource.accessKeyDetails = { accessKeyId: 'ASIAQ3EGVZK7EXAMPLE5', principalId: 'AIDACKCEVSQ6C2EXAMPLE', userType: 'IAMUser', userName: 'dr-ops' };
  });
  const { params } = shippedStep(alert);
  const { result } = await planned(params);
  expect((result as { lines: string[] }).lines).toEqual([
    `access key(s) ${key} of IAM user dr-ops are not named by the step and stay as they are`,
    'temporary key ASIAQ3EGVZK7EXAMPLE5 expires on its own; it cannot be deactivated (the session deny stops it now)',
    'attach inline policy TourniquetRevokeOlderSessions to IAM user dr-ops: deny credentials issued before containment',
  ]);
  const outcome = await run(stepInput('revoke-key', params));
  expect(await keyStatuses('dr-ops')).toEqual(['Active']);
  expect(await userPolicies('dr-ops')).toEqual(['TourniquetRevokeOlderSessions']);
  expect(outcome.undo).toMatchObject({ type: 'removeSessionRevocation', params: { target: { kind: 'user', name: 'dr-ops' } } });
});

test('a bare name that is a role (an older runbook, an alert without a type) is resolved to the role', async () => {
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'claims-worker', AssumeRolePolicyDocument: ASSUME_EC2 }));
  const { result, calls } = await planned({ principal: 'claims-worker' });
  expect(calls).toEqual(['iam:GetUser', 'iam:GetRole', 'iam:GetRolePolicy']);
  expect((result as { lines: string[] }).lines).toContain(
    'attach inline policy TourniquetRevokeOlderSessions to IAM role claims-worker: deny credentials issued before containment',
  );
  const before = stack.calls.length;
  await run(stepInput('revoke', { principal: 'claims-worker' }));
  expect(stack.calls.slice(before).filter((c) => WRITE.test(c))).toEqual(['iam:PutRolePolicy']);
  expect(await rolePolicies('claims-worker')).toEqual(['TourniquetRevokeOlderSessions']);
});

test('a bare name that is neither: no IAM user or role of that name; nothing was changed', async () => {
  const { cause, calls } = await refused(stepInput('revoke', { principal: 'nobody-at-all' }));
  expect(cause).toMatchObject({ type: 'NoSuchEntity', message: 'no IAM user or role named nobody-at-all; nothing was changed' });
  expect(calls).toEqual(['iam:GetUser', 'iam:GetRole']);
});

test('quarantine and console login asked for a role: said not to apply, and not done', async () => {
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'backup-writer', AssumeRolePolicyDocument: ASSUME_EC2 }));
  const step = stepOf('suspicious-admin-activity.yaml', 'freeze-admin');
  const alert = delivered('generic', JSON.stringify({ kind: 'SuspiciousAdminActivity', severity: 'high', title: 't', subject: { principal: 'arn:aws:sts::123456789012:assumed-role/backup-writer/nightly' } }));
  const { params } = resolveParams(step.with, { alert, incident: { id: 'incident/test', severity: 'high' } });
  const { result } = await planned(params);
  expect((result as { lines: string[] }).lines).toEqual([
    'attach inline policy TourniquetRevokeOlderSessions to IAM role backup-writer (assumed-role session nightly): deny credentials issued before containment',
    'every current session of IAM role backup-writer is cut off, not only this one: instances and services using the role fail until they fetch new credentials',
    'quarantine (deny-all) is not applied to IAM role backup-writer: it would stop every instance, service and person using the role; attach one by hand if the role itself must stop',
    'IAM role backup-writer (assumed-role session nightly) has no console login profile to remove (only IAM users have one)',
  ]);
  const outcome = await run(stepInput('freeze-admin', params));
  expect(outcome.summary).toContain('quarantine and removeLoginProfile not applied to assumed-role backup-writer');
  expect(await rolePolicies('backup-writer')).toEqual(['TourniquetRevokeOlderSessions']);
});

test('a same-named role in another account is someone else: refused before any write', async () => {
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'reporting', AssumeRolePolicyDocument: ASSUME_EC2 }));
  const alert = guardDuty('guardduty-assumed-role', (e) => {
    e.detail.accountId = '111122223333';
    e.detail.resource.accessKeyDetails.userName = 'reporting';
  });
  const { params } = shippedStep(alert);
  const { cause, calls } = await refused(stepInput('revoke-key', params));
  expect(cause.message).toBe(
    'the alert is about account 111122223333, but Tourniquet acts in account 123456789012, where IAM role reporting is a different principal; nothing was changed: contain it with credentials for account 111122223333',
  );
  expect(calls.filter((c) => WRITE.test(c))).toEqual([]);
  expect(await rolePolicies('reporting')).toEqual([]);
});

test('roles AWS does not let anyone edit, and contradictory parameters, change nothing', async () => {
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'AWSServiceRoleForBackup', Path: '/aws-service-role/backup.amazonaws.com/', AssumeRolePolicyDocument: ASSUME_EC2 }));
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'AWSReservedSSO_Admin_0123456789abcdef', Path: '/aws-reserved/sso.amazonaws.com/', AssumeRolePolicyDocument: ASSUME_EC2 }));
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'ingest', AssumeRolePolicyDocument: ASSUME_EC2 }));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ principal: 'AWSServiceRoleForBackup', principalType: 'assumed-role' }, /^IAM role AWSServiceRoleForBackup is a service-linked role: .*nothing was changed\. A person must/],
    [{ principal: 'AWSReservedSSO_Admin_0123456789abcdef' }, /IAM Identity Center permission set .*nothing was changed\. A person must revoke the user's active permission-set sessions in IAM Identity Center/],
    [{ principal: 'ingest', principalType: 'assumed-role', accessKeyIds: ['AKIAIOSFODNN7EXAMPLE'] }, /access key\(s\) AKIAIOSFODNN7EXAMPLE are long-term keys, which only IAM users have, not IAM role ingest; nothing was changed/],
    [{ principal: 'ingest', principalType: 'assumed-role', revokeSessions: false }, /revoking its sessions is the only containment for IAM role ingest, and revokeSessions is false; nothing was changed/],
    [{ principal: 'arn:aws:iam::123456789012:user/ingest', principalType: 'assumed-role' }, /is iam-user by its ARN, but principalType says assumed-role; nothing was changed/],
    [{ principal: 'arn:aws:s3:::patient-exports' }, /is not the ARN of an IAM user, role, federated user or root; nothing was changed/],
    [{ principal: 'ingest:role', principalType: 'assumed-role' }, /"ingest:role" is not an IAM user, role or federated user name; nothing was changed/],
    [{ principal: 'backup.amazonaws.com', principalType: 'aws-service' }, /^backup\.amazonaws\.com is an AWS service .*nothing was changed\. A person must find what let it act/],
    [{ principal: 'tmp', principalType: 'federated-user', sessionIssuer: 'arn:aws:iam::123456789012:root' }, /created with the root user's credentials, which no policy can restrict; nothing was changed/],
  ];
  for (const [i, [params, message]] of cases.entries()) {
    const { cause, calls } = await refused(stepInput(`revoke-${i}`, params));
    expect([params, cause.message]).toEqual([params, expect.stringMatching(message)]);
    expect(calls.filter((c) => WRITE.test(c))).toEqual([]);
  }
  expect(await rolePolicies('AWSServiceRoleForBackup')).toEqual([]);
  expect(await rolePolicies('ingest')).toEqual([]);
});
