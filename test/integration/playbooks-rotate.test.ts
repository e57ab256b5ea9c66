/**
 * rotateKey against moto's KMS through a real Temporal dev server: on-demand rotation where the key
 * allows it (read back, counted against the limit, never spent twice), otherwise a replacement key
 * takes the alias and the old key is scheduled for deletion after the pending window, never at once;
 * a replacement key whose creation answer was lost is found again, not created twice.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient, ListKeyRotationsCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { MockActivityEnvironment } from '@temporalio/testing';
import { rotateKeyWorkflow } from '../../workflows/playbooks/rotate-key';
import { createAwsPlanners } from '../../activities/aws';
import { createKmsActivities, replacementMarkerAlias } from '../../activities/aws/kms';
import { playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';

jest.setTimeout(120_000);

let stack: PlaybookStack;
beforeAll(async () => {
  stack = await playbookStack({ onDemandRotationLimit: 2 });
});
afterAll(async () => stack?.teardown());

async function keyWithAlias(alias: string, spec: 'SYMMETRIC_DEFAULT' | 'RSA_2048' = 'SYMMETRIC_DEFAULT'): Promise<string> {
  const made = await stack.admin.kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: spec === 'RSA_2048' ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT' }));
  await stack.admin.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: made.KeyMetadata!.KeyId! }));
  return made.KeyMetadata!.KeyId!;
}

const describe = async (keyId: string) => (await stack.admin.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
const rotations = async (keyId: string) => (await stack.admin.kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? [];

function run(input: ReturnType<typeof stepInput>) {
  return stack.env.client.workflow.execute(rotateKeyWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}-${Math.random().toString(36).slice(2, 8)}`,
    args: [input],
  });
}

test('a symmetric key rotates on demand, read back; past the limit the alias moves to a replacement', async () => {
  const keyId = await keyWithAlias('alias/phi-export');
  const planners = createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws });
  const plan = await planners.rotateKey!({ type: 'rotateKey', incidentId: 'incident/p', stepId: 'rotate', params: { keyId: 'alias/phi-export' } });
  expect(plan.lines).toEqual([`rotate the key material of KMS key ${keyId} (alias/phi-export) on demand (rotation 1 of 2); the key id stays`]);

  const first = await run(stepInput('rotate', { keyId: 'alias/phi-export' }));
  expect(first.summary).toBe(`rotated KMS key ${keyId} on demand (1 of 2 on-demand rotations used)`);
  expect((await rotations(keyId)).filter((r) => r.RotationType === 'ON_DEMAND')).toHaveLength(1);

  await run(stepInput('rotate', { keyId }));
  expect(await rotations(keyId)).toHaveLength(2);

  // The limit is reached (configured 2 here): the alias moves to a new key instead.
  const third = await run(stepInput('rotate', { keyId: 'alias/phi-export', pendingWindowDays: 7 }));
  expect(third.summary).toContain('all 2 on-demand rotations of this key are used');
  expect(await rotations(keyId)).toHaveLength(2);
  const now = await describe('alias/phi-export');
  expect(now.KeyId).not.toBe(keyId);
  const old = await describe(keyId);
  expect(old.KeyState).toBe('PendingDeletion');
  const days = (old.DeletionDate!.getTime() - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(6.9);
  expect(days).toBeLessThan(7.1);
});

test('an asymmetric key is replaced: same spec, alias moved, old key pending deletion for the window', async () => {
  const keyId = await keyWithAlias('alias/signing', 'RSA_2048');
  const input = stepInput('rotate', { keyId: 'alias/signing', pendingWindowDays: 30 });
  const outcome = await run(input);
  expect(outcome.summary).toContain('key spec RSA_2048 cannot rotate on demand');
  const replacement = await describe('alias/signing');
  expect(replacement.KeyId).not.toBe(keyId);
  expect(replacement).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', KeyState: 'Enabled' });
  const old = await describe(keyId);
  expect(old.KeyState).toBe('PendingDeletion');
  expect((old.DeletionDate!.getTime() - Date.now()) / 86_400_000).toBeGreaterThan(29.9);

  // The same step again (a retry after a crash) finds its replacement by the marker alias.
  const again = await stack.env.client.workflow.execute(rotateKeyWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/again`,
    args: [{ ...input, params: { keyId: replacement.KeyId!, pendingWindowDays: 30 } }],
  });
  expect(again.summary).toBe(`KMS key ${replacement.KeyId} is already this step's replacement key; nothing changed`);
  expect((await describe('alias/signing')).KeyState).toBe('Enabled');
});

test('a pending window under 7 days, or a key that does not exist, fails non-retryably and changes nothing', async () => {
  const keyId = await keyWithAlias('alias/short-window', 'RSA_2048');
  const short = await run(stepInput('rotate', { keyId, pendingWindowDays: 1 })).catch((e) => e);
  expect(short).toBeInstanceOf(WorkflowFailedError);
  expect((short as WorkflowFailedError).cause?.cause).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/pendingWindowDays: at least 7 days/) });
  expect((await describe(keyId)).KeyState).toBe('Enabled');

  const missing = await run(stepInput('rotate', { keyId: 'alias/never-made' })).catch((e) => e);
  expect((missing as WorkflowFailedError).cause?.cause).toMatchObject({
    nonRetryable: true,
    message: 'KMS key alias/never-made does not exist; nothing was changed',
  });
});

test('KMS created the key but its answer was lost: the retry marks that key instead of creating another', async () => {
  // A client whose first CreateKey reaches KMS (the key exists) but whose answer never arrives.
  const kms = new KMSClient({ region: stack.moto.region, endpoint: stack.moto.endpoint });
  let lose = true;
  kms.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (lose && context.commandName === 'CreateKeyCommand') {
        lose = false;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return out;
    },
    { step: 'initialize', name: 'lostAnswer' },
  );
  const oldKeyId = await keyWithAlias('alias/lost-answer', 'RSA_2048');
  const input = { oldKeyId, marker: replacementMarkerAlias('incident/lost-answer', 'rotate'), keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', incidentId: 'incident/lost-answer' };
  const { createReplacementKey } = createKmsActivities(kms);
  const keyCount = async () => (await stack.admin.kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.length;
  const before = await keyCount();

  await expect(new MockActivityEnvironment({ attempt: 1 }).run(createReplacementKey, input)).rejects.toThrow(/socket hang up/);
  expect(await keyCount()).toBe(before + 1); // created, unmarked
  const retried = (await new MockActivityEnvironment({ attempt: 2 }).run(createReplacementKey, input)) as { keyId: string; created: boolean };
  expect(await keyCount()).toBe(before + 1);
  expect(retried.created).toBe(true);
  expect((await describe(input.marker)).KeyId).toBe(retried.keyId);
  // Once marked, later attempts find it by the marker alone.
  expect(await new MockActivityEnvironment({ attempt: 3 }).run(createReplacementKey, input)).toEqual({ keyId: retried.keyId, created: false });
});
