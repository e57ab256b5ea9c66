/**
 * rotateSecret against moto's Secrets Manager through a real Temporal dev server. moto invokes the
 * secret's rotation Lambda (its Lambda without Docker, which runs no code), so the function's work
 * is played here: a stand-in that, like a rotation function's createSecret and finishSecret, puts
 * a value in the AWSPENDING version and moves AWSCURRENT to it. The step asks once (a second run
 * finds its version), waits for the rotation, and refuses a secret without a function or one whose
 * rotation is already under way.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, RotateSecretCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsPlanners } from '../../activities/aws';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { rotateSecretWorkflow } from '../../workflows/playbooks/rotate-secret';
import { eventually, playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';

jest.setTimeout(120_000);

let stack: PlaybookStack;
let functionArn: string;
let finishing = true;

/** A Lambda function in moto, made over its REST API (the project has no Lambda client of its own). */
async function rotationFunction(name: string): Promise<string> {
  await fetch(`${stack.moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ lambda: { use_docker: false } }) });
  await stack.admin.iam.send(new CreateRoleCommand({ RoleName: `${name}-role`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }));
  const emptyZip = Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]).toString('base64');
  const res = await fetch(`${stack.moto.endpoint}/2015-03-31/functions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0' },
    body: JSON.stringify({ FunctionName: name, Runtime: 'python3.12', Role: `arn:aws:iam::123456789012:role/${name}-role`, Handler: 'rotate.handler', Code: { ZipFile: emptyZip } }),
  });
  return ((await res.json()) as { FunctionArn: string }).FunctionArn;
}

/** What a rotation function's createSecret and finishSecret do to every secret it rotates. */
async function finishRotations(secretIds: string[]): Promise<void> {
  while (finishing) {
    for (const id of secretIds) {
      const stages = (await stack.admin.secretsManager.send(new DescribeSecretCommand({ SecretId: id }))).VersionIdsToStages ?? {};
      const currentVersion = Object.keys(stages).find((v) => stages[v]!.includes('AWSCURRENT'));
      const pending = Object.keys(stages).find((v) => stages[v]!.includes('AWSPENDING') && v !== currentVersion);
      if (!pending) continue;
      await stack.admin.secretsManager.send(new PutSecretValueCommand({ SecretId: id, ClientRequestToken: pending, SecretString: JSON.stringify({ password: `rotated-${pending}` }), VersionStages: ['AWSPENDING'] })).catch(() => undefined);
      await stack.admin.secretsManager.send(new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: 'AWSCURRENT', MoveToVersionId: pending, RemoveFromVersionId: currentVersion }));
      await stack.admin.secretsManager.send(new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending }));
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

let finisher: Promise<void>;
beforeAll(async () => {
  stack = await playbookStack();
  functionArn = await rotationFunction('rotate-claims-db');
  for (const name of ['claims-db/app', 'busy-db/app']) await stack.admin.secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ password: 'first' }) }));
  finisher = finishRotations(['claims-db/app']);
  // Rotation configured: the function and a schedule (which rotates once at once, as AWS does).
  for (const name of ['claims-db/app', 'busy-db/app']) {
    await stack.admin.secretsManager.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: functionArn, RotationRules: { AutomaticallyAfterDays: 30 } }));
  }
  await stack.admin.secretsManager.send(new CreateSecretCommand({ Name: 'partner-api/key', SecretString: JSON.stringify({ apiKey: 'first' }) }));
  await eventually(() => stagesOf('claims-db/app'), (stages) => !Object.values(stages).some((s) => s.includes('AWSPENDING')), 'the scheduled first rotation finished');
});
afterAll(async () => {
  finishing = false;
  await finisher;
  await stack?.teardown();
});

const stagesOf = async (secret: string) => (await stack.admin.secretsManager.send(new DescribeSecretCommand({ SecretId: secret }))).VersionIdsToStages ?? {};
const start = (input: ReturnType<typeof stepInput>) =>
  stack.env.client.workflow.start(rotateSecretWorkflow, { taskQueue: stack.config.temporal.taskQueue, workflowId: `playbook/${input.incidentId}/${input.stepId}-${Math.random().toString(36).slice(2, 6)}`, args: [input] });
const failureOf = async (input: ReturnType<typeof stepInput>) => {
  const failed = await (await start(input)).result().catch((e) => e);
  expect(failed).toBeInstanceOf(WorkflowFailedError);
  return (failed as WorkflowFailedError).cause?.cause as { nonRetryable?: boolean; type?: string; message: string } | undefined;
};
const count = (call: string) => stack.calls.filter((c) => c === call).length;

test('a secret with a rotation function is rotated by it once: planned, asked, read back; a second run finds it done', async () => {
  const before = await stagesOf('claims-db/app');
  const previous = Object.keys(before).find((v) => before[v]!.includes('AWSCURRENT'))!;
  const input = stepInput('rotate-db', { secretId: 'claims-db/app' }, 'incident/db-leak');
  const plan = await createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).rotateSecret!({ type: 'rotateSecret', incidentId: input.incidentId, stepId: 'rotate-db', params: input.params });
  expect(plan.lines).toEqual([
    `rotate Secrets Manager secret claims-db/app with its rotation function ${functionArn} (createSecret, setSecret, testSecret, finishSecret): the credential changes at its source`,
    expect.stringMatching(new RegExp(`^new version [0-9a-f-]{36} becomes AWSCURRENT; ${previous} becomes AWSPREVIOUS$`)),
    'no undo: the function changed the credential itself, so the old version would not work again',
  ]);
  const asks = count('secretsmanager:RotateSecret');
  const outcome = await (await start(input)).result();
  const after = await stagesOf('claims-db/app');
  const made = Object.keys(after).find((v) => after[v]!.includes('AWSCURRENT'))!;
  expect(made).not.toBe(previous);
  expect(after[previous]).toEqual(['AWSPREVIOUS']);
  expect(outcome.summary).toBe(`secret claims-db/app rotated by its rotation function: version ${made} is AWSCURRENT, ${previous} AWSPREVIOUS`);
  expect(outcome.undo).toBeUndefined();
  expect(count('secretsmanager:RotateSecret') - asks).toBe(1);

  const again = await (await start(input)).result();
  expect(again.summary).toBe(`secret claims-db/app was rotated by this step already (version ${made} is AWSCURRENT)`);
  expect(count('secretsmanager:RotateSecret') - asks).toBe(1);
});

test('no rotation function, or a rotation under way: a clear final refusal, nothing asked', async () => {
  const asks = count('secretsmanager:RotateSecret');
  expect(await failureOf(stepInput('rotate-api', { secretId: 'partner-api/key' }))).toMatchObject({
    nonRetryable: true,
    type: 'NoRotationFunction',
    message: 'Secrets Manager secret partner-api/key has no rotation function configured: rotate it by hand, or configure rotation, then retry the step; nothing was changed',
  });
  // busy-db's function never finished the rotation its schedule started (nothing plays it here).
  const busy = await failureOf(stepInput('rotate-busy', { secretId: 'busy-db/app' }));
  expect(busy).toMatchObject({ nonRetryable: true, type: 'RotationInProgress' });
  expect(busy?.message).toMatch(/^Secrets Manager secret busy-db\/app: a rotation is in progress already \(version [0-9a-f-]{36} is AWSPENDING\)/);
  expect(count('secretsmanager:RotateSecret') - asks).toBe(0);
});

test('every AWS call of rotateSecret is granted by the worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(expect.arrayContaining(['secretsmanager:DescribeSecret', 'secretsmanager:RotateSecret']));
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
