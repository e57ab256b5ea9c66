/**
 * revokeCredentials against moto's IAM and a local RFC 7009 endpoint, through a real Temporal dev
 * server: keys deactivated then deleted after the grace, sessions denied by TokenIssueTime, login
 * removed, quarantine, OAuth tokens revoked (never shown), undo re-enables and keeps the keys, a
 * worker restart during the grace deletes each key once, and an unknown principal fails clearly.
 */
import { WorkflowFailedError } from '@temporalio/client';
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetLoginProfileCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { keyDeletionStatusQuery, keyDeletionWorkflowId, undoWorkflowId } from '../../workflows/playbooks/definitions';
import { keyDeletionWorkflow, revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { createAwsPlanners } from '../../activities/aws';
import { httpTarget } from '../support/http-target';
import { undoRequest } from '../support/decisions';
import { playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';

jest.setTimeout(120_000);

let stack: PlaybookStack;
let oauth: Awaited<ReturnType<typeof httpTarget>>;

beforeAll(async () => {
  oauth = await httpTarget((path) => (path === '/refuse' ? 400 : 200));
  stack = await playbookStack({
    oauth: {
      portal: { revocationEndpoint: `${oauth.url}/oauth2/revoke`, clientId: 'tourniquet', clientSecret: 's3cret-client' },
      strict: { revocationEndpoint: `${oauth.url}/refuse`, clientId: 'tourniquet', clientSecret: 's3cret-client' },
    },
  });
});
afterAll(async () => {
  await stack?.teardown();
  await oauth?.close();
});

async function userWithKeys(name: string, keys = 2, login = false): Promise<string[]> {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: name }));
  if (login) await stack.admin.iam.send(new CreateLoginProfileCommand({ UserName: name, Password: 'Correct-Horse-9!' }));
  const ids: string[] = [];
  for (let i = 0; i < keys; i++) ids.push((await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!);
  return ids;
}

async function keyStates(name: string): Promise<Record<string, string>> {
  const listed = await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: name }));
  return Object.fromEntries((listed.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, k.Status!]));
}

function run(input: ReturnType<typeof stepInput>) {
  return stack.env.client.workflow.execute(revokeCredentialsWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}`,
    args: [input],
  });
}

const deletion = (input: ReturnType<typeof stepInput>) =>
  stack.env.client.workflow.getHandle<typeof keyDeletionWorkflow>(keyDeletionWorkflowId(input.incidentId, input.stepId));

test('deactivates every key, denies older sessions, removes login, quarantines, revokes OAuth tokens; deletes keys after the grace', async () => {
  const [k1, k2] = await userWithKeys('svc-export', 2, true);
  const input = stepInput('revoke', {
    principal: 'svc-export',
    deleteAfter: '2s',
    removeLoginProfile: true,
    quarantine: true,
    oauth: { app: 'portal', tokens: ['tok-A-very-secret', 'tok-B-very-secret'] },
  });

  const plan = await createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).revokeCredentials!({ type: 'revokeCredentials', ...input });
  expect(plan.lines).toEqual(
    expect.arrayContaining([`deactivate access key ${k1} of IAM user svc-export`, 'remove the console login profile of IAM user svc-export']),
  );
  expect(JSON.stringify(plan)).not.toContain('very-secret');

  const outcome = await run(input);
  expect(outcome.summary).toContain('deactivated 2 access key(s) of svc-export');
  expect(outcome.summary).not.toContain('very-secret');
  expect(outcome.undo).toMatchObject({ type: 'reactivateAccessKeys', params: { principal: 'svc-export', accessKeyIds: [k1, k2] } });
  expect(await keyStates('svc-export')).toEqual({ [k1!]: 'Inactive', [k2!]: 'Inactive' });

  const session = await stack.admin.iam.send(new GetUserPolicyCommand({ UserName: 'svc-export', PolicyName: 'TourniquetRevokeOlderSessions' }));
  const doc = JSON.parse(decodeURIComponent(session.PolicyDocument!));
  expect(doc.Statement[0]).toMatchObject({ Effect: 'Deny', Action: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': expect.any(String) } } });
  expect(Date.parse(doc.Statement[0].Condition.DateLessThan['aws:TokenIssueTime'])).toBeLessThanOrEqual(Date.now());
  await expect(stack.admin.iam.send(new GetUserPolicyCommand({ UserName: 'svc-export', PolicyName: 'TourniquetQuarantine' }))).resolves.toBeDefined();
  await expect(stack.admin.iam.send(new GetLoginProfileCommand({ UserName: 'svc-export' }))).rejects.toMatchObject({ name: expect.stringMatching(/^NoSuchEntity/) });

  // RFC 7009: form-encoded token, client authenticated with HTTP Basic.
  const revocations = oauth.requests.filter((r) => r.path === '/oauth2/revoke');
  expect(revocations.map((r) => new URLSearchParams(r.body).get('token'))).toEqual(['tok-A-very-secret', 'tok-B-very-secret']);
  expect(revocations[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  expect(revocations[0]!.headers.authorization).toBe(`Basic ${Buffer.from('tourniquet:s3cret-client').toString('base64')}`);

  const deleted = await deletion(input).result();
  expect(deleted.deleted?.sort()).toEqual([k1, k2].sort());
  expect(await keyStates('svc-export')).toEqual({});
});

test('keep: true deactivates only the named key and never deletes it', async () => {
  const [k1, k2] = await userWithKeys('svc-keep');
  const outcome = await run(stepInput('revoke', { principal: 'svc-keep', accessKeyIds: [k1], keep: true, revokeSessions: false }));
  expect(outcome.summary).toContain('keys kept');
  expect(await keyStates('svc-keep')).toEqual({ [k1!]: 'Inactive', [k2!]: 'Active' });
  await expect(stack.admin.iam.send(new GetUserPolicyCommand({ UserName: 'svc-keep', PolicyName: 'TourniquetRevokeOlderSessions' }))).rejects.toMatchObject({
    name: expect.stringMatching(/^NoSuchEntity/),
  });
});

test('a role principal gets the session-revocation policy on the role', async () => {
  await userWithKeys('svc-assumer', 1);
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: 'export-role', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }));
  await run(stepInput('revoke', { principal: 'svc-assumer', roleName: 'export-role', keep: true }));
  const policy = await stack.admin.iam.send(new GetRolePolicyCommand({ RoleName: 'export-role', PolicyName: 'TourniquetRevokeOlderSessions' }));
  expect(decodeURIComponent(policy.PolicyDocument!)).toContain('aws:TokenIssueTime');
});

test('the undo re-enables the keys and cancels their deletion', async () => {
  const [k1] = await userWithKeys('svc-mistake', 1);
  const input = stepInput('revoke', { principal: 'svc-mistake', deleteAfter: '3s' });
  const outcome = await run(input);
  expect(await keyStates('svc-mistake')).toEqual({ [k1!]: 'Inactive' });
  const summary = await stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(input.incidentId, input.stepId),
    args: [undoRequest('U1', input.incidentId, input.stepId, outcome.undo!, 'wrong user')],
  });
  expect(summary).toContain('re-enabled 1 access key(s) of svc-mistake');
  const status = await deletion(input).result();
  expect(status.cancelled).toEqual({ by: 'U1', reason: 'wrong user' });
  expect(status.deleted).toBeUndefined();
  await new Promise((r) => setTimeout(r, 3_500));
  expect(await keyStates('svc-mistake')).toEqual({ [k1!]: 'Active' });
});

test('a worker stopped during the grace: a new worker deletes each key once, nothing is repeated', async () => {
  const [k1, k2] = await userWithKeys('svc-restart');
  const input = stepInput('revoke', { principal: 'svc-restart', deleteAfter: '3s' });
  const before = stack.calls.length;
  await run(input);
  expect((await deletion(input).query(keyDeletionStatusQuery)).deleted).toBeUndefined();

  await stack.stopWorker();
  await new Promise((r) => setTimeout(r, 3_500)); // the grace ends with no worker running
  expect(Object.keys(await keyStates('svc-restart'))).toHaveLength(2);
  await stack.startWorker();

  expect((await deletion(input).result()).deleted?.sort()).toEqual([k1, k2].sort());
  expect(await keyStates('svc-restart')).toEqual({});
  const writes = stack.calls.slice(before).filter((c) => /UpdateAccessKey|DeleteAccessKey|PutUserPolicy/.test(c));
  expect(writes.sort()).toEqual(['iam:DeleteAccessKey', 'iam:DeleteAccessKey', 'iam:PutUserPolicy', 'iam:UpdateAccessKey', 'iam:UpdateAccessKey']);
});

test('an IAM user that does not exist fails at once, non-retryably, with a clear message', async () => {
  const before = stack.calls.length;
  const err = await run(stepInput('revoke', { principal: 'nobody-here', principalType: 'iam-user' })).catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as { nonRetryable?: boolean; message: string; type?: string };
  expect(cause).toMatchObject({ nonRetryable: true, type: 'NoSuchEntity', message: 'IAM user nobody-here does not exist; nothing was changed' });
  expect(stack.calls.slice(before)).toEqual(['iam:GetUser']); // one attempt, no writes
});

test('an OAuth endpoint that refuses the client is a final failure', async () => {
  await userWithKeys('svc-oauth', 0);
  const err = await run(stepInput('revoke', { principal: 'svc-oauth', revokeSessions: false, oauth: { app: 'strict', tokens: ['tok-C-very-secret'] } })).catch((e) => e);
  const cause = (err as WorkflowFailedError).cause?.cause as { nonRetryable?: boolean; message: string };
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toMatch(/refused sha256:[0-9a-f]{12}: 400/);
  expect(cause.message).not.toContain('very-secret');
  expect(oauth.requests.filter((r) => r.path === '/refuse')).toHaveLength(1);
});
