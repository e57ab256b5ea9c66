/**
 * rotateAccessKey against moto's IAM and Secrets Manager through a real Temporal dev server: a
 * leaked key is replaced without an outage. The plan shows the order; the new key goes into a new
 * secret version (AWSPENDING, then AWSCURRENT); the service (a client here that reads the secret
 * and calls AWS with what it finds) uses it, GetAccessKeyLastUsed sees that, and only then is the
 * leaked key deactivated. A CreateAccessKey whose answer is lost leaves no second new key; the
 * undo puts the previous version back and the old key to work; a user with two keys, a role
 * session and a service that never picks the key up are clear refusals. The new secret key is in
 * no workflow history, no ledger record and no result. rotateSecret runs a secret's rotation
 * function (moto's Lambda without Docker).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CreateAccessKeyCommand, CreateUserCommand, GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsPlanners } from '../../activities/aws';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { historyText as historyOf } from '../support/history';
import { keyDeletionWorkflowId, undoWorkflowId } from '../../workflows/playbooks/definitions';
import { revokeCredentialsWorkflow } from '../../workflows/playbooks/revoke-credentials';
import { rotateAccessKeyWorkflow } from '../../workflows/playbooks/rotate-access-key';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { testGrants, undoRequest } from '../support/decisions';
import { deliverAlert } from '../../ingress/incidents';
import { approveUpdate, stateQuery } from '../../workflows/definitions';
import { eventually, playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';
import { memoryAudit, RUNBOOKS_DIR } from '../support/temporal';
import { exerciseIncidentId, stepScopedId } from '../../domain/ids';
import { anAlert } from '../support/alerts';
import { dryRun, loadRunbooks } from '../../runbooks';
import { STEP_TYPE_NAMES } from '../../workflows/steps';

jest.setTimeout(120_000);

const prove = testGrants({ 'security-oncall': ['U1'] });

let stack: PlaybookStack;
const audit = memoryAudit();
/** Armed by a test: the next CreateAccessKey is made at IAM, then its answer is lost. */
let loseCreateAnswer: (() => void) | undefined;
/** Every secret access key AWS handed out in this file, to search for afterwards. */
const secretsMade: string[] = [];

beforeAll(async () => {
  const credentialSecrets = {
    'svc-billing': { secretId: 'svc-billing/aws', pickupTimeout: '60s', checkEvery: '1s' },
    'svc-adjudication': { secretId: 'svc-adjudication/aws', pickupTimeout: '60s', checkEvery: '1s' },
    'svc-ledger': 'svc-ledger/aws',
  };
  stack = await playbookStack({ credentialSecrets }, { audit, approverGroups: { 'security-oncall': ['U1'] } }, (clients) => {
    clients.iam.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'CreateAccessKeyCommand') {
          secretsMade.push((out as { output: { AccessKey: { SecretAccessKey: string } } }).output.AccessKey.SecretAccessKey);
          if (loseCreateAnswer) {
            const landed = loseCreateAnswer;
            loseCreateAnswer = undefined;
            landed();
            throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          }
        }
        return out;
      },
      { step: 'initialize', name: 'lostCreateAnswer' },
    );
    return clients;
  });
});
afterAll(async () => stack?.teardown());

/** An IAM user whose one key the service reads from a secret (with a field of its own beside it). */
async function serviceWithKey(user: string, secret: string): Promise<{ keyId: string; versionId: string }> {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: user }));
  const key = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
  const made = await stack.admin.secretsManager.send(
    new CreateSecretCommand({ Name: secret, SecretString: JSON.stringify({ AWS_ACCESS_KEY_ID: key.AccessKeyId, AWS_SECRET_ACCESS_KEY: key.SecretAccessKey, region: 'us-east-1' }) }),
  );
  return { keyId: key.AccessKeyId!, versionId: made.VersionId! };
}

const keysOf = async (user: string) =>
  Object.fromEntries(((await stack.admin.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, k.Status!]));
const stagesOf = async (secret: string) => (await stack.admin.secretsManager.send(new DescribeSecretCommand({ SecretId: secret }))).VersionIdsToStages ?? {};
// The stage named: moto answers a GetSecretValue without one from the secret's first version even
// after AWSCURRENT has moved (AWS answers AWSCURRENT).
const current = async (secret: string) =>
  JSON.parse((await stack.admin.secretsManager.send(new GetSecretValueCommand({ SecretId: secret, VersionStage: 'AWSCURRENT' }))).SecretString!) as Record<string, string>;
const count = (call: string) => stack.calls.filter((c) => c === call).length;

/**
 * The service: reads the secret every 200 ms, as a service refreshing its credentials does, and
 * calls AWS with the key it finds (moto records that use, as AWS does, for GetAccessKeyLastUsed).
 */
function service(user: string, secret: string): { stop(): void } {
  let running = true;
  void (async () => {
    while (running) {
      const value = await current(secret).catch(() => undefined);
      if (value) {
        const client = new IAMClient({ region: stack.moto.region, endpoint: stack.moto.endpoint, credentials: { accessKeyId: value.AWS_ACCESS_KEY_ID!, secretAccessKey: value.AWS_SECRET_ACCESS_KEY! } });
        await client.send(new GetUserCommand({ UserName: user })).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { stop: () => void (running = false) };
}

const plan = (params: Record<string, unknown>, incidentId = 'incident/x') =>
  createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).rotateAccessKey!({ type: 'rotateAccessKey', incidentId, stepId: 'rotate', params });
const start = (input: ReturnType<typeof stepInput>) =>
  stack.env.client.workflow.start(rotateAccessKeyWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId: `playbook/${input.incidentId}/${input.stepId}`, args: [input] });
const undo = (input: ReturnType<typeof stepInput>, outcome: Awaited<ReturnType<typeof rotateAccessKeyWorkflow>>) =>
  stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(input.incidentId, `${input.stepId}-${Math.random().toString(36).slice(2, 6)}`),
    args: [undoRequest('U-lead', input.incidentId, input.stepId, outcome.undo!, 'the new key broke the export job')],
  });
const failureOf = async (input: ReturnType<typeof stepInput>) => {
  const failed = await (await start(input)).result().catch((e) => e);
  expect(failed).toBeInstanceOf(WorkflowFailedError);
  const cause = (failed as WorkflowFailedError).cause;
  // thrown by an activity (wrapped in its ActivityFailure) or by the playbook itself
  return (cause?.cause ?? cause) as { nonRetryable?: boolean; type?: string; message: string } | undefined;
};
const fast = { pickupTimeout: '60s', checkEvery: '1s' };

const historyText = (workflowId: string) => historyOf(stack.env.client, stack.config, workflowId);

test('the plan shows the order: new key, staged version, promotion, the wait, then the leaked key deactivated', async () => {
  const { keyId, versionId } = await serviceWithKey('svc-plan', 'svc-plan/aws');
  const shown = await plan({ principal: 'svc-plan', accessKeyId: keyId, secretId: 'svc-plan/aws', ...fast });
  expect(shown.lines).toEqual([
    '1. create a new access key for IAM user svc-plan (it has 1 of 2)',
    expect.stringMatching(/^2\. write it to Secrets Manager secret svc-plan\/aws as new version [0-9a-f-]{36}, staged AWSPENDING \(fields AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; the other fields are kept\)$/),
    expect.stringMatching(new RegExp(`^3\\. promote version [0-9a-f-]{36} to AWSCURRENT; the version the service reads now, ${versionId}, becomes AWSPREVIOUS$`)),
    '4. wait until the new key is used (GetAccessKeyLastUsed, every 1s, for at most 60s; not used by then: the step fails and the leaked key stays active)',
    `5. deactivate the leaked access key ${keyId} of IAM user svc-plan (kept as evidence)`,
    `undo: ${versionId} back to AWSCURRENT and ${keyId} active again; the new key stays`,
  ]);
  // Planning changes nothing, and twice gives the same plan.
  expect(await plan({ principal: 'svc-plan', accessKeyId: keyId, secretId: 'svc-plan/aws', ...fast })).toEqual(shown);
  expect(await keysOf('svc-plan')).toEqual({ [keyId]: 'Active' });
  expect(Object.keys(await stagesOf('svc-plan/aws'))).toEqual([versionId]);
});

test('apply: one new key in a promoted version, used by the service, then the leaked key deactivated; the undo puts both back', async () => {
  const { keyId, versionId } = await serviceWithKey('svc-export', 'svc-export/aws');
  const input = stepInput('rotate', { principal: 'svc-export', accessKeyId: keyId, secretId: 'svc-export/aws', ...fast }, 'incident/leak-export');
  const before = { create: count('iam:CreateAccessKey'), put: count('secretsmanager:PutSecretValue'), stage: count('secretsmanager:UpdateSecretVersionStage'), deactivate: count('iam:UpdateAccessKey') };
  const running = service('svc-export', 'svc-export/aws');
  const outcome = await (await start(input)).result().finally(() => running.stop());

  const keys = await keysOf('svc-export');
  const newKeyId = Object.keys(keys).find((k) => k !== keyId)!;
  expect(keys).toEqual({ [keyId]: 'Inactive', [newKeyId]: 'Active' });
  const value = await current('svc-export/aws');
  expect(value).toEqual({ AWS_ACCESS_KEY_ID: newKeyId, AWS_SECRET_ACCESS_KEY: expect.any(String), region: 'us-east-1' });
  const stages = await stagesOf('svc-export/aws');
  const newVersion = Object.keys(stages).find((v) => v !== versionId)!;
  expect(stages).toEqual({ [versionId]: ['AWSPREVIOUS'], [newVersion]: ['AWSCURRENT'] });
  expect(outcome.summary).toMatch(
    new RegExp(
      `^created new access key ${newKeyId} of svc-export in version ${newVersion} of secret svc-export/aws; version ${newVersion} promoted to AWSCURRENT \\(${versionId} is AWSPREVIOUS\\); ` +
        `new key first used \\S+ \\(iam\\); leaked access key ${keyId} deactivated$`,
    ),
  );
  // One key made, one version written, promoted with AWSPENDING taken off, one deactivation.
  expect([count('iam:CreateAccessKey') - before.create, count('secretsmanager:PutSecretValue') - before.put, count('secretsmanager:UpdateSecretVersionStage') - before.stage, count('iam:UpdateAccessKey') - before.deactivate]).toEqual([1, 1, 2, 1]);
  expect(outcome.writes).toHaveLength(5);
  expect(outcome.undo).toMatchObject({ type: 'restoreAccessKeyRotation', params: { oldKeyId: keyId, newKeyId, previousVersionId: versionId, versionId: newVersion } });

  // The new secret key: in the secret, and nowhere else.
  const text = (await historyText(`playbook/${input.incidentId}/${input.stepId}`)) + JSON.stringify(audit.events) + JSON.stringify(outcome);
  expect(text).toContain(newKeyId);
  expect(value.AWS_SECRET_ACCESS_KEY).toBeTruthy();
  expect(text).not.toContain(value.AWS_SECRET_ACCESS_KEY);
  for (const secret of secretsMade) expect(text).not.toContain(secret);
  expect(audit.events.filter((e) => e.what === 'aws.write').map((e) => (e.details as { api: string }).api)).toEqual(
    expect.arrayContaining(['iam:CreateAccessKey', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', 'iam:UpdateAccessKey']),
  );

  expect(await undo(input, outcome)).toBe(`access key ${keyId} of svc-export re-enabled; version ${versionId} of secret svc-export/aws is AWSCURRENT again; the new key ${newKeyId} stays active`);
  expect(await keysOf('svc-export')).toEqual({ [keyId]: 'Active', [newKeyId]: 'Active' });
  expect((await stagesOf('svc-export/aws'))[versionId]).toContain('AWSCURRENT');
  expect((await current('svc-export/aws')).AWS_ACCESS_KEY_ID).toBe(keyId);
  // Twice is harmless.
  expect(await undo(input, outcome)).toBe(`access key ${keyId} of svc-export was active already; version ${versionId} of secret svc-export/aws was AWSCURRENT already; the new key ${newKeyId} stays active`);
});

test('a CreateAccessKey whose answer is lost across a worker restart: the lost key is deleted, one new key is left', async () => {
  const { keyId } = await serviceWithKey('svc-claims', 'svc-claims/aws');
  const input = stepInput('rotate', { principal: 'svc-claims', accessKeyId: keyId, secretId: 'svc-claims/aws', waitFor: 'grace', grace: '1s' }, 'incident/leak-claims');
  const [creates, deletes] = [count('iam:CreateAccessKey'), count('iam:DeleteAccessKey')];
  const landed = new Promise<void>((resolve) => (loseCreateAnswer = resolve));
  const handle = await start(input);
  await landed;
  await stack.stopWorker();
  await stack.startWorker();
  const outcome = await handle.result();
  expect([count('iam:CreateAccessKey') - creates, count('iam:DeleteAccessKey') - deletes]).toEqual([2, 1]);
  const keys = await keysOf('svc-claims');
  const newKeyId = (await current('svc-claims/aws')).AWS_ACCESS_KEY_ID!;
  expect(keys).toEqual({ [keyId]: 'Inactive', [newKeyId]: 'Active' });
  expect(outcome.summary).toContain(`created new access key ${newKeyId}`);
  expect(outcome.summary).toContain('waited 1s for the service to read it');
});

test('a drill plans from the real secret and key, and every write is refused below the workflow', async () => {
  const { keyId, versionId } = await serviceWithKey('svc-drill', 'svc-drill/aws');
  const input = stepInput('rotate', { principal: 'svc-drill', accessKeyId: keyId, secretId: 'svc-drill/aws', ...fast }, exerciseIncidentId('rotation'));
  // The playbook's id as an exercise's incident starts it: the mark the write scope reads.
  const handle = await stack.env.client.workflow.start(rotateAccessKeyWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId: stepScopedId('playbook', input.incidentId, input.stepId), args: [input] });
  const failed = (await handle.result().catch((e) => e)) as WorkflowFailedError;
  expect(failed.cause?.cause).toMatchObject({ nonRetryable: true, type: 'ExerciseWriteRefused', message: 'exercise: stageNewAccessKey refused; a drill never writes to AWS' });
  expect(await keysOf('svc-drill')).toEqual({ [keyId]: 'Active' });
  expect(Object.keys(await stagesOf('svc-drill/aws'))).toEqual([versionId]);
});

test('a user with two keys already: a clear final refusal, nothing changed', async () => {
  const { keyId, versionId } = await serviceWithKey('svc-full', 'svc-full/aws');
  const other = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-full' }))).AccessKey!.AccessKeyId!;
  const failure = await failureOf(stepInput('rotate', { principal: 'svc-full', accessKeyId: keyId, secretId: 'svc-full/aws', ...fast }));
  expect(failure).toMatchObject({ nonRetryable: true, type: 'AccessKeyLimitReached' });
  expect(failure?.message).toContain(`IAM user svc-full already has 2 access keys, the most IAM allows: a new key cannot be made beside the leaked ${keyId}. Delete the other key ${other} (Active, created`);
  expect(await keysOf('svc-full')).toEqual({ [keyId]: 'Active', [other]: 'Active' });
  expect(Object.keys(await stagesOf('svc-full/aws'))).toEqual([versionId]);
});

test('a role session has no key to rotate; a secret that does not hold the leaked key is refused', async () => {
  await stack.admin.iam.send(new CreateUserCommand({ UserName: 'svc-other' }));
  const { keyId } = await serviceWithKey('svc-mismatch', 'svc-mismatch/aws');
  const role = await failureOf(stepInput('rotate', { principal: 'etl', principalType: 'assumed-role', accessKeyId: 'ASIAQEXAMPLE12345678', secretId: 'svc-mismatch/aws' }));
  expect(role).toMatchObject({ nonRetryable: true, type: 'NotRotatable' });
  expect(role?.message).toBe(
    'rotateAccessKey: IAM role etl has no long-term access key to rotate: its temporary key (ASIAQEXAMPLE12345678) expires on its own and cannot be replaced in a secret; revoke its sessions instead (revokeCredentials); nothing was changed',
  );
  const other = (await stack.admin.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-other' }))).AccessKey!.AccessKeyId!;
  const mismatch = await failureOf(stepInput('rotate', { principal: 'svc-other', accessKeyId: other, secretId: 'svc-mismatch/aws' }));
  expect(mismatch?.message).toContain(`secret svc-mismatch/aws holds access key ${keyId}, not the leaked key ${other}`);
  expect(await keysOf('svc-other')).toEqual({ [other]: 'Active' });
});

test('a service that never reads the new key: the step fails after pickupTimeout and the leaked key stays active', async () => {
  const { keyId } = await serviceWithKey('svc-idle', 'svc-idle/aws');
  const failure = await failureOf(stepInput('rotate', { principal: 'svc-idle', accessKeyId: keyId, secretId: 'svc-idle/aws', pickupTimeout: '4s', checkEvery: '1s' }));
  expect(failure).toMatchObject({ nonRetryable: true, type: 'NewKeyNotPickedUp' });
  expect(failure?.message).toMatch(/^rotateAccessKey: the new access key \w+ of svc-idle was not used within 4s: the leaked key \w+ is still active so the service keeps working/);
  expect((await keysOf('svc-idle'))[keyId]).toBe('Active');
});

test('the credential runbook step (revokeCredentials, rotate: true): a user with a mapped secret is rotated first; another is deactivated as before', async () => {
  const { keyId, versionId } = await serviceWithKey('svc-billing', 'svc-billing/aws');
  const params = { principal: 'svc-billing', accessKeyIds: [keyId], revokeSessions: true, rotate: true };
  const input = stepInput('revoke-key', params, 'incident/leak-billing');
  const planned = await createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).revokeCredentials!({ type: 'revokeCredentials', incidentId: input.incidentId, stepId: 'revoke-key', params });
  expect(planned.lines.slice(0, 2)).toEqual(['rotate before deactivating, so the service keeps working:', '  1. create a new access key for IAM user svc-billing (it has 1 of 2)']);
  expect(planned.lines[5]).toBe(`  5. deactivate the leaked access key ${keyId} of IAM user svc-billing (kept as evidence)`);
  expect(planned.lines).not.toContain(`deactivate access key ${keyId} of IAM user svc-billing`);
  expect(planned.lines).toContain('attach inline policy TourniquetRevokeOlderSessions to IAM user svc-billing: deny credentials issued before containment');

  const running = service('svc-billing', 'svc-billing/aws');
  const outcome = await stack.env.client.workflow
    .execute(revokeCredentialsWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId: `playbook/${input.incidentId}/${input.stepId}`, args: [input] })
    .finally(() => running.stop());
  const newKeyId = (await current('svc-billing/aws')).AWS_ACCESS_KEY_ID!;
  expect(await keysOf('svc-billing')).toEqual({ [keyId]: 'Inactive', [newKeyId]: 'Active' });
  expect(outcome.summary).toContain(`leaked access key ${keyId} deactivated; sessions of user svc-billing issued before now revoked; keys deleted after 7d`);
  expect(outcome.undo).toMatchObject({ type: 'restoreAccessKeyRotation', params: { oldKeyId: keyId, previousVersionId: versionId, keyDeletionWorkflowId: keyDeletionWorkflowId(input.incidentId, input.stepId) } });
  expect(await undo(input, outcome)).toContain(`access key ${keyId} of svc-billing re-enabled; version ${versionId} of secret svc-billing/aws is AWSCURRENT again`);

  // Not in aws.credentialSecrets: the plan and the step are what they were before rotation.
  const { keyId: other } = await serviceWithKey('svc-unmapped', 'svc-unmapped/aws');
  const plain = { principal: 'svc-unmapped', accessKeyIds: [other], revokeSessions: false, keep: true, rotate: true };
  const plainPlan = await createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).revokeCredentials!({ type: 'revokeCredentials', incidentId: 'incident/y', stepId: 'revoke-key', params: plain });
  expect(plainPlan.lines).toEqual([`deactivate access key ${other} of IAM user svc-unmapped`, 'keep the inactive keys (no deletion)']);
  const plainInput = stepInput('revoke-key', plain, 'incident/leak-unmapped');
  const plainOutcome = await stack.env.client.workflow.execute(revokeCredentialsWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId: `playbook/${plainInput.incidentId}/${plainInput.stepId}`, args: [plainInput] });
  expect(plainOutcome.summary).toBe('deactivated 1 access key(s) of svc-unmapped; keys kept');
  expect(await keysOf('svc-unmapped')).toEqual({ [other]: 'Inactive' });
});

test('the shipped credential-compromise runbook plans a rotation for a user aws.credentialSecrets names, and the plain deactivation for another', async () => {
  const pinned = loadRunbooks(RUNBOOKS_DIR, STEP_TYPE_NAMES).find((p) => p.runbook.id === 'credential-compromise')!;
  const planners = createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws });
  const { keyId } = await serviceWithKey('svc-ledger', 'svc-ledger/aws');
  const mapped = await dryRun(pinned, anAlert({ kind: 'LeakedAccessKey', subject: { principal: 'svc-ledger', accessKeyId: keyId } }), planners);
  const lines = mapped.steps.find((s) => s.id === 'revoke-key')!.plan!.lines;
  expect(lines.slice(0, 2)).toEqual(['rotate before deactivating, so the service keeps working:', '  1. create a new access key for IAM user svc-ledger (it has 1 of 2)']);
  expect(lines[4]).toBe('  4. wait until the new key is used (GetAccessKeyLastUsed, every 1m, for at most 1h; not used by then: the step fails and the leaked key stays active)');

  const { keyId: other } = await serviceWithKey('svc-plain', 'svc-plain/aws');
  const plain = await dryRun(pinned, anAlert({ kind: 'LeakedAccessKey', subject: { principal: 'svc-plain', accessKeyId: other } }), planners);
  expect(plain.steps.find((s) => s.id === 'revoke-key')!.plan!.lines).toEqual([
    `deactivate access key ${other} of IAM user svc-plain`,
    'delete the inactive keys after 7d (kept as evidence until then)',
    'attach inline policy TourniquetRevokeOlderSessions to IAM user svc-plain: deny credentials issued before containment',
  ]);
});

test('a real incident: the shipped credential runbook asks for approval with the rotation plan, and once approved rotates through the secret before deactivating', async () => {
  const { keyId } = await serviceWithKey('svc-adjudication', 'svc-adjudication/aws');
  const running = service('svc-adjudication', 'svc-adjudication/aws');
  try {
    const { incidentId } = await deliverAlert(stack.env.client, stack.config.temporal.taskQueue, anAlert({ kind: 'LeakedAccessKey', severity: 'high', subject: { principal: 'svc-adjudication', accessKeyId: keyId } }));
    const handle = stack.env.client.workflow.getHandle(incidentId);
    const asked = await eventually(() => handle.query(stateQuery), (s) => s.steps.find((st) => st.id === 'revoke-key')?.status === 'awaiting-approval', 'asked');
    expect(asked.runbook?.id).toBe('credential-compromise');
    const step = asked.steps.find((st) => st.id === 'revoke-key')!;
    expect(step.plan!.slice(0, 2)).toEqual(['rotate before deactivating, so the service keeps working:', '  1. create a new access key for IAM user svc-adjudication (it has 1 of 2)']);
    // Nothing changes before the approval.
    expect(await keysOf('svc-adjudication')).toEqual({ [keyId]: 'Active' });
    await handle.executeUpdate(approveUpdate, {
      args: [{ proof: prove('U1', 'approve', incidentId, { subject: { stepId: 'revoke-key', planHash: step.planHash! } }), stepId: 'revoke-key', justification: 'key in a public gist', planHash: step.planHash! }],
    });
    const done = await eventually(() => handle.query(stateQuery), (s) => s.steps.find((st) => st.id === 'revoke-key')?.status === 'succeeded', 'rotated', 60_000);
    const newKeyId = (await current('svc-adjudication/aws')).AWS_ACCESS_KEY_ID!;
    expect(newKeyId).not.toBe(keyId);
    expect(await keysOf('svc-adjudication')).toEqual({ [keyId]: 'Inactive', [newKeyId]: 'Active' });
    expect(done.steps.find((st) => st.id === 'revoke-key')!.summary).toContain(`leaked access key ${keyId} deactivated`);
    // The undo offered restores the previous secret version too.
    expect(done.steps.find((st) => st.id === 'revoke-key')!.undo!.description).toMatch(/svc-adjudication\/aws/);
  } finally {
    running.stop();
  }
});

test('every AWS call the rotation and its undo made is granted by the worker policy', async () => {
  await eventually(async () => stack.calls.length, (n) => n > 0, 'calls recorded');
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(
    expect.arrayContaining([
      'iam:CreateAccessKey',
      'iam:GetAccessKeyLastUsed',
      'iam:DeleteAccessKey',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]),
  );
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
