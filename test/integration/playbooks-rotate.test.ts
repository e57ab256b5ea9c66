/**
 * rotateKey against moto's KMS through a real Temporal dev server: on-demand rotation where the key
 * allows it (read back, counted against the limit, never spent twice); otherwise a replacement key
 * takes the aliases and the old key is retired, not deleted: it stays enabled, its policy denies
 * new ciphertext to everyone, a ciphertext made before the rotation still decrypts, and its
 * retirement workflow watches it. A policy write whose answer was lost, then a worker restart,
 * changes nothing twice; the undo puts everything back; a replacement key whose creation answer
 * was lost is found again, not created twice.
 */
import { WorkflowFailedError } from '@temporalio/client';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListKeyRotationsCommand,
  ListKeysCommand,
  RotateKeyOnDemandCommand,
} from '@aws-sdk/client-kms';
import { MockActivityEnvironment } from '@temporalio/testing';
import { rotateKeyWorkflow } from '../../workflows/playbooks/rotate-key';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { undoRequest } from '../support/decisions';
import { keyRetirementStatusQuery, keyRetirementWorkflowId, undoWorkflowId } from '../../workflows/playbooks/definitions';
import { createAwsPlanners } from '../../activities/aws';
import { createKmsActivities, replacementMarkerAlias } from '../../activities/aws/kms';
import { NEW_CIPHERTEXT_ACTIONS, RETIRED_KEY_SID } from '../../activities/aws/key-policy';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import { eventually, playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';
import { runCli } from '../support/cli';
import { cloudTrailEndpoint } from '../support/cloudtrail-endpoint';

jest.setTimeout(120_000);

let stack: PlaybookStack;
let trail: Awaited<ReturnType<typeof cloudTrailEndpoint>>;
/** Armed by a test: the next PutKeyPolicy reaches KMS, then its answer is lost. */
let losePolicyAnswer: (() => void) | undefined;

beforeAll(async () => {
  // The retired keys' usage checks: CloudTrail, which moto lacks, answers "no events".
  trail = await cloudTrailEndpoint(() => [[]]);
  stack = await playbookStack({ onDemandRotationLimit: 2 }, {}, (clients) => {
    clients.kms.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (losePolicyAnswer && context.commandName === 'PutKeyPolicyCommand') {
          const landed = losePolicyAnswer;
          losePolicyAnswer = undefined;
          landed();
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return out;
      },
      { step: 'initialize', name: 'lostPolicyAnswer' },
    );
    return { ...clients, cloudTrail: trail.client };
  });
});
afterAll(async () => {
  await stack?.teardown();
  await trail?.close();
});

async function keyWithAlias(alias: string, spec: 'SYMMETRIC_DEFAULT' | 'RSA_2048' = 'SYMMETRIC_DEFAULT'): Promise<string> {
  const made = await stack.admin.kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: spec === 'RSA_2048' ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT' }));
  await stack.admin.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: made.KeyMetadata!.KeyId! }));
  return made.KeyMetadata!.KeyId!;
}

/** A symmetric key whose on-demand rotations (2 in this stack) are used up: rotateKey must replace it. */
async function exhaustedKey(alias: string): Promise<string> {
  const keyId = await keyWithAlias(alias);
  for (let i = 0; i < 2; i++) await stack.admin.kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
  return keyId;
}

const describe = async (keyId: string) => (await stack.admin.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
const rotations = async (keyId: string) => (await stack.admin.kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? [];
const policyOf = async (keyId: string) =>
  JSON.parse((await stack.admin.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!) as { Statement: Record<string, unknown>[] };
const encrypt = async (keyId: string, text: string) => (await stack.admin.kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }))).CiphertextBlob!;
const decrypt = async (blob: Uint8Array) => {
  const out = await stack.admin.kms.send(new DecryptCommand({ CiphertextBlob: blob }));
  return { text: Buffer.from(out.Plaintext!).toString(), keyId: out.KeyId! };
};
const count = (action: string) => stack.calls.filter((c) => c === action).length;

function start(input: ReturnType<typeof stepInput>) {
  return stack.env.client.workflow.start(rotateKeyWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}-${Math.random().toString(36).slice(2, 8)}`,
    args: [input],
  });
}
const run = async (input: ReturnType<typeof stepInput>) => (await start(input)).result();

test('a symmetric key rotates on demand, read back; past the limit the alias moves to a replacement and the old key is retired', async () => {
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
  expect(third.summary).toContain('old key kept enabled for decryption only');
  expect(await rotations(keyId)).toHaveLength(2);
  expect((await describe('alias/phi-export')).KeyId).not.toBe(keyId);
  const old = await describe(keyId);
  expect(old.KeyState).toBe('Enabled');
  expect(old.DeletionDate).toBeUndefined();
});

test('replace mode: the plan says what happens to the old key; after it, old ciphertext decrypts and nothing is pending deletion', async () => {
  const keyId = await exhaustedKey('alias/claims');
  const before = await encrypt(keyId, 'claim 4471 diagnosis');
  const beforeViaAlias = await encrypt('alias/claims', 'claim 4472 diagnosis');
  const policyBefore = await policyOf(keyId);

  const planners = createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws });
  const plan = await planners.rotateKey!({ type: 'rotateKey', incidentId: 'incident/claims', stepId: 'rotate', params: { keyId: 'alias/claims' } });
  expect(plan.lines).toEqual([
    `KMS key ${keyId} (alias/claims) cannot rotate on demand: all 2 on-demand rotations of this key are used`,
    'create a new SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key',
    'move alias/claims to the new key',
    `keep ${keyId} enabled, so every ciphertext under it stays readable, and change its key policy: add statement ` +
      `"${RETIRED_KEY_SID}" denying ${NEW_CIPHERTEXT_ACTIONS.join(', ')} to every principal (grants included); Decrypt, ` +
      "ReEncryptFrom, Verify, DescribeKey, GetKeyPolicy and the key administrators' statements stay as they are (the old policy is kept for the undo)",
    `schedule no deletion: once CloudTrail shows ${keyId} unused for 30d (checked every 1d), deletion may be asked for; it needs two approvals and then waits 30 days (cancellable)`,
  ]);
  expect(plan.lines.join('\n')).not.toMatch(/schedule deletion of/);

  const input = stepInput('rotate', { keyId: 'alias/claims' }, 'incident/claims');
  const outcome = await run(input);

  const old = await describe(keyId);
  expect(old.KeyState).toBe('Enabled');
  expect(old.DeletionDate).toBeUndefined();
  // Real Decrypt calls: both ciphertexts made before the rotation still read.
  expect(await decrypt(before)).toEqual({ text: 'claim 4471 diagnosis', keyId: old.Arn });
  expect((await decrypt(beforeViaAlias)).text).toBe('claim 4472 diagnosis');

  // moto does not evaluate key policies for Encrypt (only a Deny on DescribeKey), so the refusal
  // is asserted on the policy document KMS would evaluate.
  const policyAfter = await policyOf(keyId);
  expect(policyAfter.Statement).toEqual([
    ...policyBefore.Statement,
    { Sid: RETIRED_KEY_SID, Effect: 'Deny', Principal: { AWS: '*' }, Action: [...NEW_CIPHERTEXT_ACTIONS], Resource: '*' },
  ]);
  expect(policyAfter.Statement.filter((s) => s.Effect === 'Deny').flatMap((s) => s.Action as string[])).toEqual(
    expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptTo']),
  );
  expect(JSON.stringify(policyAfter.Statement.filter((s) => s.Effect === 'Deny'))).not.toMatch(/Decrypt|ReEncryptFrom|DescribeKey|GetKeyPolicy/);

  // New data goes to the replacement through the alias.
  const replacement = await describe('alias/claims');
  expect(replacement.KeyId).not.toBe(keyId);
  expect((await decrypt(await encrypt('alias/claims', 'claim 4473'))).keyId).toBe(replacement.Arn);

  // The retirement watches the old key; deletion is not on offer.
  const retirement = stack.env.client.workflow.getHandle(keyRetirementWorkflowId(input.incidentId, input.stepId));
  const status = await eventually(() => retirement.query(keyRetirementStatusQuery), (s) => s.lastCheck !== undefined, 'first usage check');
  expect(status).toMatchObject({ status: 'watching', keyId, keyArn: old.Arn, replacementKeyId: replacement.KeyId, unusedFor: '30d', approvals: [] });
  expect(status.offer).toBeUndefined();
  expect(trail.received.some((r) => r.body.LookupAttributes[0]!.AttributeValue === old.Arn)).toBe(true);
  const listed = await runCli(stack.env, stack.config, 'kms', 'status');
  expect(listed).toMatchObject({ code: 0, out: expect.stringContaining(`${status.id}: KMS key ${keyId} is watching`) });
  expect(listed.out).toContain(`replaced by ${replacement.KeyId}; alias/claims moved to it; old key decrypt only`);

  // The undo: alias back, policy back, retirement stopped; the replacement stays.
  expect(outcome.undo).toMatchObject({ type: 'restoreRotatedKey', params: { keyId, aliases: ['alias/claims'] } });
  const undone = await stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(input.incidentId, input.stepId),
    args: [undoRequest('U-lead', input.incidentId, input.stepId, outcome.undo!, 'rotated the wrong key')],
  });
  expect(undone).toContain(`KMS key ${keyId} back in use`);
  expect((await describe('alias/claims')).KeyId).toBe(keyId);
  expect((await policyOf(keyId)).Statement).toEqual(policyBefore.Statement);
  expect((await retirement.result()).status).toBe('stopped');
  expect((await describe(replacement.KeyId!)).KeyState).toBe('Enabled');
});

test('the policy write lands but its answer is lost, and the worker restarts: the retry finds the restriction, nothing is done twice', async () => {
  const keyId = await exhaustedKey('alias/lost-policy-answer');
  const [puts, creates, updates] = [count('kms:PutKeyPolicy'), count('kms:CreateKey'), count('kms:UpdateAlias')];
  const landed = new Promise<void>((resolve) => (losePolicyAnswer = resolve));
  const input = stepInput('rotate', { keyId: 'alias/lost-policy-answer' }, 'incident/lost-policy');
  const handle = await start(input);
  await landed;
  await stack.stopWorker();
  await stack.startWorker();
  const outcome = await handle.result();

  expect(outcome.summary).toContain('old key kept enabled for decryption only');
  expect([count('kms:PutKeyPolicy') - puts, count('kms:CreateKey') - creates, count('kms:UpdateAlias') - updates]).toEqual([1, 1, 1]);
  const denies = (await policyOf(keyId)).Statement.filter((s) => s.Sid === RETIRED_KEY_SID);
  expect(denies).toHaveLength(1);
  // The undo keeps the policy as it was before the step, not the restricted one the retry read.
  expect(JSON.parse(outcome.undo!.params.policy as string).Statement.some((s: { Sid?: string }) => s.Sid === RETIRED_KEY_SID)).toBe(false);
  expect((await describe(keyId)).KeyState).toBe('Enabled');
  const retirements: string[] = [];
  for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId = '${keyRetirementWorkflowId(input.incidentId, input.stepId)}'` })) retirements.push(wf.runId);
  expect(retirements).toHaveLength(1);
});

test('an asymmetric key is replaced: same spec, alias moved, old key kept enabled; the same step again changes nothing', async () => {
  const keyId = await keyWithAlias('alias/signing', 'RSA_2048');
  const input = stepInput('rotate', { keyId: 'alias/signing', pendingWindowDays: 30 });
  const outcome = await run(input);
  expect(outcome.summary).toContain('key spec RSA_2048 cannot rotate on demand');
  const replacement = await describe('alias/signing');
  expect(replacement.KeyId).not.toBe(keyId);
  expect(replacement).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', KeyState: 'Enabled' });
  expect((await describe(keyId)).KeyState).toBe('Enabled');
  expect((await policyOf(keyId)).Statement.map((s) => s.Sid)).toContain(RETIRED_KEY_SID);

  // The same step again (a retry after a crash) finds its replacement by the marker alias.
  const again = await stack.env.client.workflow.execute(rotateKeyWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/again`,
    args: [{ ...input, params: { keyId: replacement.KeyId!, pendingWindowDays: 30 } }],
  });
  expect(again.summary).toBe(`KMS key ${replacement.KeyId} is already this step's replacement key; nothing changed`);
  expect((await describe('alias/signing')).KeyState).toBe('Enabled');
  expect((await policyOf(replacement.KeyId!)).Statement.map((s) => s.Sid)).not.toContain(RETIRED_KEY_SID);
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

test('every AWS call the rotations made (KMS and CloudTrail) is granted by the worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(expect.arrayContaining(['kms:PutKeyPolicy', 'kms:GetKeyPolicy', 'cloudtrail:LookupEvents']));
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
