/**
 * revokeKeyAccess against moto's KMS through a real Temporal dev server: an exposed key's policy
 * goes back to its baseline (the plan shows each statement removed and added), its grants are
 * revoked and counted, and it is disabled only when the step asks and two people approved. The
 * undo puts back the policy, the grants (same grantee, operations, constraints) and the enabled
 * state. A key pending deletion or already disabled gets a plan that says so; bad input changes
 * nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyPolicyCommand,
  ListGrantsCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { createAwsPlanners } from '../../activities/aws';
import { grantedActions, workerIamPolicy } from '../../activities/aws/policy';
import type { RunbookStep } from '../../domain/runbook';
import { undoWorkflowId } from '../../workflows/playbooks/definitions';
import { revokeKeyAccessWorkflow } from '../../workflows/playbooks/revoke-key-access';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { undoRequest } from '../support/decisions';
import { playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';

jest.setTimeout(120_000);

const ACCOUNT_ROOT = 'arn:aws:iam::123456789012:root';
const ATTACKER = 'arn:aws:iam::999999999999:root';
const ROOT_STATEMENT = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ACCOUNT_ROOT }, Action: 'kms:*', Resource: '*' };
const OPENED = { Sid: 'OpenedUp', Effect: 'Allow', Principal: { AWS: ATTACKER }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' };
const baselineDir = mkdtempSync(join(tmpdir(), 'tq-baselines-'));
const BASELINE_FILE = join(baselineDir, 'billing-key-policy.json');
const BILLING_APP = { Sid: 'BillingApp', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/billing' }, Action: ['kms:Decrypt', 'kms:Encrypt'], Resource: '*' };

let stack: PlaybookStack;
/** Armed by a test: the next RevokeGrant reaches KMS, then its answer is lost. */
let loseRevokeAnswer = false;

beforeAll(async () => {
  writeFileSync(BASELINE_FILE, JSON.stringify({ Version: '2012-10-17', Statement: [ROOT_STATEMENT, BILLING_APP] }, null, 2));
  stack = await playbookStack({ keyPolicyBaselines: { 'alias/billing-baselined': BASELINE_FILE } }, {}, (clients) => {
    clients.kms.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (loseRevokeAnswer && context.commandName === 'RevokeGrantCommand') {
          loseRevokeAnswer = false;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return out;
      },
      { step: 'initialize', name: 'lostRevokeAnswer' },
    );
    return clients;
  });
});
afterAll(async () => stack?.teardown());

const TWO_PERSON: RunbookStep = {
  id: 'revoke-key-access',
  type: 'revokeKeyAccess',
  with: {},
  approval: { group: 'security-oncall', approvers: 2, timeout: '30m', finalTimeout: '2h', onTimeout: 'deny' },
  timeout: '5m',
  retry: { maximumAttempts: 5, initialInterval: '200ms' },
  continueOnError: false,
};

/** An exposed key: its policy opened to another account, two grants, an alias. */
async function exposedKey(alias: string) {
  const made = await stack.admin.kms.send(new CreateKeyCommand({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ROOT_STATEMENT, OPENED] }) }));
  const keyId = made.KeyMetadata!.KeyId!;
  await stack.admin.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  const grants = [
    { GranteePrincipal: 'arn:aws:iam::123456789012:role/exporter', Operations: ['Decrypt', 'GenerateDataKey'], Name: 'exporter', Constraints: { EncryptionContextSubset: { dept: 'billing' } } },
    { GranteePrincipal: `${ATTACKER.replace(':root', ':role/collector')}`, Operations: ['Decrypt'] },
  ] as const;
  const grantIds: string[] = [];
  for (const g of grants) grantIds.push((await stack.admin.kms.send(new CreateGrantCommand({ KeyId: keyId, ...g, Operations: [...g.Operations] }))).GrantId!);
  return { keyId, arn: made.KeyMetadata!.Arn!, grantIds };
}

const policyOf = async (keyId: string) =>
  JSON.parse((await stack.admin.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!) as { Statement: unknown[] };
const grantsOf = async (keyId: string) =>
  ((await stack.admin.kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants ?? []).map((g) => ({
    grantee: g.GranteePrincipal,
    operations: [...(g.Operations ?? [])].sort(),
    name: g.Name ?? undefined,
    constraints: g.Constraints && Object.keys(g.Constraints).length > 0 ? g.Constraints : undefined,
  }));
const stateOf = async (keyId: string) => (await stack.admin.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState;
const planners = () => createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws });

function run(input: ReturnType<typeof stepInput>, step?: RunbookStep) {
  return stack.env.client.workflow.execute(revokeKeyAccessWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}-${Math.random().toString(36).slice(2, 8)}`,
    args: step ? [input, step] : [input],
  });
}
const undo = (input: ReturnType<typeof stepInput>, outcome: Awaited<ReturnType<typeof run>>) =>
  stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(input.incidentId, `${input.stepId}-${Math.random().toString(36).slice(2, 6)}`),
    args: [undoRequest('U-lead', input.incidentId, input.stepId, outcome.undo!, 'the grants were legitimate')],
  });

test('the plan shows the policy diff and every grant; the step restores the baseline, revokes the grants, leaves the key enabled; the undo puts it all back', async () => {
  const key = await exposedKey('alias/patient-docs');
  const grantsBefore = await grantsOf(key.keyId);
  const plan = await planners().revokeKeyAccess!({ type: 'revokeKeyAccess', incidentId: 'incident/x', stepId: 'revoke', params: { keyId: 'alias/patient-docs' } });
  expect(plan.lines).toEqual([
    `restore the key policy of KMS key ${key.keyId} (alias/patient-docs) to the baseline (the KMS default key policy for account 123456789012); the policy now is kept for the undo:`,
    `  remove statement "OpenedUp": Allow kms:Decrypt, kms:GenerateDataKey to AWS ${ATTACKER}`,
    `revoke grant ${key.grantIds[0]} (exporter) to arn:aws:iam::123456789012:role/exporter: Decrypt, GenerateDataKey with constraints {"EncryptionContextSubset":{"dept":"billing"}}`,
    `revoke grant ${key.grantIds[1]} to arn:aws:iam::999999999999:role/collector: Decrypt`,
    '2 grant(s) revoked in all (re-created by the undo)',
    `KMS key ${key.keyId} (alias/patient-docs) stays enabled (disableKey not set): what its policy and grants still allow keeps working`,
  ]);

  const input = stepInput('revoke', { keyId: 'alias/patient-docs' });
  const outcome = await run(input);
  expect(outcome.summary).toBe(
    `key policy of KMS key ${key.keyId} restored to the baseline (1 statement(s) removed, 0 added); 2 grant(s) revoked`,
  );
  expect((await policyOf(key.keyId)).Statement).toEqual([ROOT_STATEMENT]);
  expect(await grantsOf(key.keyId)).toEqual([]);
  expect(await stateOf(key.keyId)).toBe('Enabled');

  // Planned again: nothing left to do.
  const after = await planners().revokeKeyAccess!({ type: 'revokeKeyAccess', incidentId: 'incident/x', stepId: 'revoke', params: { keyId: key.keyId } });
  expect(after.lines.slice(0, 2)).toEqual([
    `the key policy of KMS key ${key.keyId} (alias/patient-docs) already matches the baseline (the KMS default key policy for account 123456789012)`,
    `KMS key ${key.keyId} (alias/patient-docs) has no grants to revoke`,
  ]);

  expect(outcome.undo).toMatchObject({ type: 'restoreKeyAccess', params: { keyId: key.keyId, enable: false } });
  const undone = await undo(input, outcome);
  expect(undone).toBe(`KMS key ${key.keyId}: previous key policy put back; 2 grant(s) re-created`);
  expect((await policyOf(key.keyId)).Statement).toEqual([ROOT_STATEMENT, OPENED]);
  const sortGrants = (g: Awaited<ReturnType<typeof grantsOf>>) => [...g].sort((a, b) => String(a.grantee).localeCompare(String(b.grantee)));
  expect(sortGrants(await grantsOf(key.keyId))).toEqual(sortGrants(grantsBefore));
  // The undo again: everything is already back; nothing is created twice.
  expect(await undo(input, outcome)).toBe(`KMS key ${key.keyId}: previous key policy already in place; 0 grant(s) re-created (2 already there)`);
  expect(await grantsOf(key.keyId)).toHaveLength(2);
});

test('a baseline configured for an alias is the one restored, statement by statement', async () => {
  const key = await exposedKey('alias/billing-baselined');
  const plan = await planners().revokeKeyAccess!({ type: 'revokeKeyAccess', incidentId: 'incident/x', stepId: 'revoke', params: { keyId: key.keyId, revokeGrants: false } });
  expect(plan.lines).toEqual([
    `restore the key policy of KMS key ${key.keyId} (alias/billing-baselined) to the baseline (${BASELINE_FILE} (aws.keyPolicyBaselines["alias/billing-baselined"])); the policy now is kept for the undo:`,
    `  remove statement "OpenedUp": Allow kms:Decrypt, kms:GenerateDataKey to AWS ${ATTACKER}`,
    '  add statement "BillingApp": Allow kms:Decrypt, kms:Encrypt to AWS arn:aws:iam::123456789012:role/billing',
    `leave the grants of KMS key ${key.keyId} (alias/billing-baselined) as they are`,
    `KMS key ${key.keyId} (alias/billing-baselined) stays enabled (disableKey not set): what its policy and grants still allow keeps working`,
  ]);
  await run(stepInput('revoke', { keyId: key.keyId, revokeGrants: false }));
  expect((await policyOf(key.keyId)).Statement).toEqual([ROOT_STATEMENT, BILLING_APP]);
  expect(await grantsOf(key.keyId)).toHaveLength(2);
});

test('disableKey without a two-person approval on the step is refused before anything changes', async () => {
  const key = await exposedKey('alias/no-approval');
  for (const step of [undefined, { ...TWO_PERSON, approval: { ...TWO_PERSON.approval!, approvers: 1 } }, { ...TWO_PERSON, approval: { ...TWO_PERSON.approval!, onTimeout: 'proceed' as const } }]) {
    const failed = await run(stepInput('revoke', { keyId: key.keyId, disableKey: true }), step).catch((e) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect((failed as WorkflowFailedError).cause).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/disableKey needs a two-person approval/) });
  }
  expect((await policyOf(key.keyId)).Statement).toEqual([ROOT_STATEMENT, OPENED]);
  expect(await grantsOf(key.keyId)).toHaveLength(2);
  expect(await stateOf(key.keyId)).toBe('Enabled');
});

test('disableKey with two approvals: the plan warns what stops working; the key is disabled; the undo enables it again', async () => {
  const key = await exposedKey('alias/lab-results');
  const params = { keyId: 'alias/lab-results', disableKey: true };
  const plan = await planners().revokeKeyAccess!({ type: 'revokeKeyAccess', incidentId: 'incident/x', stepId: 'revoke', params });
  expect(plan.lines[plan.lines.length - 1]).toBe(
    `DISABLE KMS key ${key.keyId} (alias/lab-results): every Encrypt, Decrypt, GenerateDataKey, Sign and Verify under it fails until it is enabled again, also through alias/lab-results; needs two approvals on this step`,
  );
  // The first RevokeGrant lands but its answer is lost: the retry counts it as already gone.
  loseRevokeAnswer = true;
  const revokes = stack.calls.filter((c) => c === 'kms:RevokeGrant').length;
  const input = stepInput('revoke', params);
  const outcome = await run(input, TWO_PERSON);
  expect(outcome.summary).toMatch(/1 grant\(s\) revoked \(1 already gone\); KMS key .* disabled: nothing can encrypt or decrypt under it$/);
  expect(stack.calls.filter((c) => c === 'kms:RevokeGrant').length - revokes).toBe(2);
  expect(await stateOf(key.keyId)).toBe('Disabled');
  expect(await grantsOf(key.keyId)).toEqual([]);

  expect(outcome.undo!.params).toMatchObject({ enable: true });
  expect(outcome.undo!.params.grants).toHaveLength(2);
  const undone = await undo(input, outcome);
  expect(undone).toBe(`KMS key ${key.keyId}: enabled again; previous key policy put back; 2 grant(s) re-created`);
  expect(await stateOf(key.keyId)).toBe('Enabled');
  expect(await grantsOf(key.keyId)).toHaveLength(2);
});

test('a key already disabled, or pending deletion: the plan says so and the key is left in that state', async () => {
  const disabled = await exposedKey('alias/already-off');
  await stack.admin.kms.send(new DisableKeyCommand({ KeyId: disabled.keyId }));
  const offPlan = await planners().revokeKeyAccess!({ type: 'revokeKeyAccess', incidentId: 'incident/x', stepId: 'r', params: { keyId: disabled.keyId, disableKey: true } });
  expect(offPlan.lines[offPlan.lines.length - 1]).toBe(`KMS key ${disabled.keyId} (alias/already-off) is already disabled; left disabled`);
  const off = await run(stepInput('revoke', { keyId: disabled.keyId, disableKey: true }), TWO_PERSON);
  expect(off.summary).toMatch(/was already disabled$/);
  expect(off.undo!.params).toMatchObject({ enable: false });
  expect(await stateOf(disabled.keyId)).toBe('Disabled');

  const pending = await exposedKey('alias/on-its-way-out');
  await stack.admin.kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.keyId, PendingWindowInDays: 7 }));
  const pendingPlan = await planners().revokeKeyAccess!({ type: 'revokeKeyAccess', incidentId: 'incident/x', stepId: 'r', params: { keyId: pending.keyId, disableKey: true } });
  expect(pendingPlan.lines[0]).toMatch(new RegExp(`^KMS key ${pending.keyId} \\(alias/on-its-way-out\\) is pending deletion \\(on \\d{4}-\\d\\d-\\d\\d\\): no cryptographic operation can use it`));
  expect(pendingPlan.lines[pendingPlan.lines.length - 1]).toBe(`KMS key ${pending.keyId} (alias/on-its-way-out) is not disabled: a key pending deletion cannot be, and is unusable already`);
  const done = await run(stepInput('revoke', { keyId: pending.keyId, disableKey: true }), TWO_PERSON);
  expect(done.summary).toMatch(/2 grant\(s\) revoked; KMS key .* is pending deletion: not disabled$/);
  expect(await stateOf(pending.keyId)).toBe('PendingDeletion');
  expect((await policyOf(pending.keyId)).Statement).toEqual([ROOT_STATEMENT]);
});

test('bad input fails non-retryably and changes nothing: a stranger grant id, a misspelt parameter, an unknown key', async () => {
  const key = await exposedKey('alias/bad-input');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ keyId: key.keyId, grantIds: ['not-a-grant-of-this-key'] }, /grant\(s\) not-a-grant-of-this-key are not grants of KMS key/],
    [{ keyId: key.keyId, disablekey: true }, /revokeKeyAccess: invalid parameters: .*disablekey/],
    [{ keyId: 'alias/never-made' }, /KMS key alias\/never-made does not exist; nothing was changed/],
  ];
  for (const [params, message] of cases) {
    const failed = await run(stepInput('revoke', params)).catch((e) => e);
    expect((failed as WorkflowFailedError).cause?.cause).toMatchObject({ nonRetryable: true, message: expect.stringMatching(message) });
  }
  expect((await policyOf(key.keyId)).Statement).toEqual([ROOT_STATEMENT, OPENED]);
  expect(await grantsOf(key.keyId)).toHaveLength(2);
});

test('every AWS call the revocations and their undos made is granted by the worker policy', () => {
  const granted = grantedActions(workerIamPolicy(stack.config.aws));
  const made = [...new Set(stack.calls)];
  expect(made).toEqual(expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ListGrants', 'kms:RevokeGrant', 'kms:CreateGrant', 'kms:DisableKey', 'kms:EnableKey']));
  expect(made.filter((action) => !granted.has(action))).toEqual([]);
});
