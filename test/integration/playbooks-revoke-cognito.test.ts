/**
 * revokeCredentials with `cognito`: a user of the API's Cognito user pool (moto's cognito-idp) is
 * signed out everywhere. The plan says so and that it cannot be undone; the refresh token the user
 * held is refused afterwards (moto revokes it, as Cognito does); a retried sign-out whose answer
 * was lost writes one ledger record; an unknown user fails the step, non-retryably, before anything
 * changes; a drill plans from the real pool and is refused the write.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { createAwsPlanners } from '../../activities/aws';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { exerciseIncidentId, stepScopedId } from '../../domain/ids';
import { revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { portalPool, type PortalPool } from '../support/cognito';
import { memoryAudit } from '../support/temporal';
import { playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';

jest.setTimeout(120_000);

let stack: PlaybookStack;
const audit = memoryAudit();
/** Armed by a test: the next AdminUserGlobalSignOut reaches moto, then its answer is lost. */
let loseSignOutAnswer = false;
let pool: PortalPool;

beforeAll(async () => {
  stack = await playbookStack({}, { audit }, (clients) => {
    clients.cognito.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (loseSignOutAnswer && context.commandName === 'AdminUserGlobalSignOutCommand') {
          loseSignOutAnswer = false;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return out;
      },
      { step: 'initialize', name: 'lostSignOutAnswer' },
    );
    return clients;
  });
  pool = await portalPool(stack.admin.cognito);
});
afterAll(async () => stack?.teardown());

const signedInUser = (username: string) => pool.signedInUser(username);
const signIn = (username: string) => pool.signIn(username);
const refresh = (token: string) => pool.refresh(token);

async function iamUser(name: string, keys = 1): Promise<string[]> {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: name }));
  const ids: string[] = [];
  for (let i = 0; i < keys; i++) ids.push((await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!);
  return ids;
}

const plan = (input: ReturnType<typeof stepInput>) => createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).revokeCredentials!({ type: 'revokeCredentials', ...input });
const run = (input: ReturnType<typeof stepInput>) =>
  stack.env.client.workflow.execute(revokeCredentialsWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId: `playbook/${input.incidentId}/${input.stepId}`, args: [input] });
const count = (action: string) => stack.calls.filter((c) => c === action).length;
const signOutRecords = () => audit.events.filter((e) => e.what === 'aws.write' && (e.details as { api?: string }).api === 'cognito-idp:AdminUserGlobalSignOut');

test('the plan names the sign-out and says it cannot be undone; a step without cognito plans as before', async () => {
  const [key] = await iamUser('svc-portal');
  await signedInUser('pat-0001');
  const without = await plan(stepInput('revoke', { principal: 'svc-portal', accessKeyIds: [key], keep: true }));
  const withUser = await plan(stepInput('revoke', { principal: 'svc-portal', accessKeyIds: [key], keep: true, cognito: { userPoolId: pool.userPoolId, username: 'pat-0001' } }));
  expect(withUser.lines.slice(0, without.lines.length)).toEqual(without.lines);
  expect(withUser.lines.slice(without.lines.length)).toEqual([
    `sign out Cognito user pat-0001 of user pool ${pool.userPoolId} everywhere (AdminUserGlobalSignOut): its refresh tokens are revoked, so no new access or ID token is issued from them; ` +
      'access and ID tokens already issued are refused by Cognito but an API that checks them only by signature accepts them until they expire; ' +
      'a managed login (hosted UI) session cookie is not cleared',
    'the sign-out cannot be undone: the user signs in again',
  ]);
  // The approval binds what changes: a plan without cognito has no such field at all.
  expect(without.changes).not.toHaveProperty('cognito');
  expect(withUser.changes).toMatchObject({ cognito: { userPoolId: pool.userPoolId, username: 'pat-0001' } });
});

test('signs the user out everywhere: one call, one ledger record, the refresh token refused; the undo says the sign-out stays', async () => {
  const [key] = await iamUser('svc-portal-2');
  const refreshToken = await signedInUser('pat-0002');
  await expect(refresh(refreshToken)).resolves.toBeDefined();
  const before = { signOut: count('cognito-idp:AdminUserGlobalSignOut'), read: count('cognito-idp:AdminGetUser'), records: signOutRecords().length };

  const outcome = await run(stepInput('revoke', { principal: 'svc-portal-2', accessKeyIds: [key], keep: true, cognito: { userPoolId: pool.userPoolId, username: 'pat-0002' } }));
  expect(outcome.summary).toContain(`Cognito user pat-0002 of user pool ${pool.userPoolId} signed out everywhere (refresh tokens revoked; a sign-out cannot be undone)`);
  expect([count('cognito-idp:AdminGetUser') - before.read, count('cognito-idp:AdminUserGlobalSignOut') - before.signOut]).toEqual([1, 1]);
  expect(signOutRecords().length - before.records).toBe(1);
  expect(outcome.undo).toMatchObject({ type: 'reactivateAccessKeys', params: { accessKeyIds: [key] } });
  expect(outcome.undo!.description).toContain(`Cognito user pat-0002 of user pool ${pool.userPoolId} stays signed out (a sign-out cannot be undone: the user signs in again)`);

  // moto, like Cognito, refuses a refresh token of a user signed out everywhere.
  await expect(refresh(refreshToken)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  // Signing in again is the user's way back.
  await expect(signIn('pat-0002')).resolves.toMatchObject({ RefreshToken: expect.any(String) });
  const keys = await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-portal-2' }));
  expect(keys.AccessKeyMetadata!.map((k) => k.Status)).toEqual(['Inactive']);
});

test("a sign-out whose answer is lost is retried: the user is signed out, and the ledger has it once", async () => {
  await iamUser('svc-portal-3', 0);
  const refreshToken = await signedInUser('pat-0003');
  const before = { signOut: count('cognito-idp:AdminUserGlobalSignOut'), records: signOutRecords().length };
  loseSignOutAnswer = true;
  const outcome = await run(stepInput('revoke', { principal: 'svc-portal-3', revokeSessions: false, cognito: { userPoolId: pool.userPoolId, username: 'pat-0003' } }));
  expect(loseSignOutAnswer).toBe(false);
  expect(outcome.summary).toContain('signed out everywhere');
  // The first call landed and its answer was lost; the retry signs out again, harmlessly.
  expect(count('cognito-idp:AdminUserGlobalSignOut') - before.signOut).toBe(2);
  expect(signOutRecords().length - before.records).toBe(1);
  await expect(refresh(refreshToken)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  // Sign-out alone changes nothing that can be put back: no undo is offered.
  expect(outcome.undo).toBeUndefined();
});

test('an unknown Cognito user fails the step at once, non-retryably, with a clear message and nothing changed', async () => {
  const [key] = await iamUser('svc-portal-4');
  const before = stack.calls.length;
  const err = await run(stepInput('revoke', { principal: 'svc-portal-4', accessKeyIds: [key], cognito: { userPoolId: pool.userPoolId, username: 'nobody-0000' } })).catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as { nonRetryable?: boolean; message: string; type?: string };
  expect(cause).toMatchObject({ nonRetryable: true, type: 'UserNotFoundException', message: `Cognito user nobody-0000 of user pool ${pool.userPoolId} does not exist; nothing was changed` });
  // One attempt, reads only.
  expect(stack.calls.slice(before).filter((c) => c === 'cognito-idp:AdminGetUser')).toHaveLength(1);
  expect(stack.calls.slice(before).filter((c) => !/:(Get|List|AdminGet)/.test(c))).toEqual([]);
  const keys = await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: 'svc-portal-4' }));
  expect(keys.AccessKeyMetadata!.map((k) => k.Status)).toEqual(['Active']);

  await expect(plan(stepInput('revoke', { principal: 'svc-portal-4', cognito: { userPoolId: 'us-east-1_Nope0000', username: 'pat-0001' } }))).rejects.toMatchObject({
    message: 'Cognito user pool us-east-1_Nope0000 does not exist; nothing was changed',
  });
  await expect(plan(stepInput('revoke', { principal: 'svc-portal-4', cognito: { userPoolId: 'not a pool', username: 'pat-0001' } }))).rejects.toMatchObject({
    message: expect.stringContaining('cognito.userPoolId: a Cognito user pool id'),
  });
});

test('a drill plans from the real pool and is refused the sign-out below the workflow', async () => {
  await iamUser('svc-portal-drill', 0);
  const refreshToken = await signedInUser('pat-drill');
  const before = count('cognito-idp:AdminUserGlobalSignOut');
  const input = stepInput('revoke', { principal: 'svc-portal-drill', revokeSessions: false, cognito: { userPoolId: pool.userPoolId, username: 'pat-drill' } }, exerciseIncidentId('cognito'));
  const handle = await stack.env.client.workflow.start(revokeCredentialsWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: stepScopedId('playbook', input.incidentId, input.stepId),
    args: [input],
  });
  const failed = (await handle.result().catch((e) => e)) as WorkflowFailedError;
  expect(failed.cause?.cause).toMatchObject({ nonRetryable: true, type: 'ExerciseWriteRefused', message: 'exercise: signOutCognitoUser refused; a drill never writes to AWS' });
  expect(count('cognito-idp:AdminUserGlobalSignOut')).toBe(before);
  await expect(refresh(refreshToken)).resolves.toBeDefined();
});

test('every Cognito call the playbook made is granted by the worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(expect.arrayContaining(['cognito-idp:AdminGetUser', 'cognito-idp:AdminUserGlobalSignOut']));
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
