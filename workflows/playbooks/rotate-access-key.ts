/**
 * rotateAccessKey: replace a leaked IAM user access key without an outage. In this order, as the
 * plan shows: a new key, written to the secret the service reads (a new version staged AWSPENDING,
 * then promoted to AWSCURRENT), a wait for the service to pick it up (its first use, or a fixed
 * grace), and only then the leaked key deactivated. The new secret key never leaves the activity
 * that makes it: this workflow sees the new key's id and the secret's version ids only.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { AccessKeyRotationPlan, AwsActivities } from '../../activities/aws';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import type { WriteAuthority } from '../../domain/ledger';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { onTheLedger, playbookActivities, stepAuthority } from './activity-options';
import type { UndoOf } from './undo-kinds';

type Acts = ReturnType<typeof playbookActivities>;

/** The new key's first use, asked every `checkEvery` until `timeout`: the retry policy is the wait. */
function pickupCheck(plan: Extract<AccessKeyRotationPlan['wait'], { mode: 'lastUsed' }>, authority: WriteAuthority) {
  return onTheLedger(
    proxyActivities<AwsActivities>({
      startToCloseTimeout: '30s',
      heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
      scheduleToCloseTimeout: plan.timeoutMs,
      retry: { initialInterval: plan.checkEveryMs, backoffCoefficient: 1, maximumInterval: plan.checkEveryMs, nonRetryableErrorTypes: ['NoSuchEntity', 'AccessDenied'] },
    }),
    authority,
  ).acts;
}

export const NEW_KEY_NOT_PICKED_UP = 'NewKeyNotPickedUp';

/**
 * The rotation itself, shared with revokeCredentials (which rotates first when the step names the
 * key's secret). Returns what was done, for the summary; throws when the service never used the
 * new key, leaving the leaked key active so the service keeps working.
 */
export async function rotateLeakedKey(acts: Acts, plan: AccessKeyRotationPlan, authority: WriteAuthority): Promise<{ did: string[]; newKeyId: string; undo: UndoOf<'restoreAccessKeyRotation'> }> {
  const did: string[] = [];
  const { newKeyId, created } = await acts.stageNewAccessKey({
    principal: plan.principal,
    oldKeyId: plan.oldKeyId,
    keyIds: plan.keyIds,
    secretId: plan.secretId,
    versionId: plan.versionId,
    fields: plan.fields,
    // a key a lost attempt made is one created after the playbook started
    since: workflowInfo().startTime.toISOString(),
  });
  did.push(`${created ? 'created' : 'found'} new access key ${newKeyId} of ${plan.principal} in version ${plan.versionId} of secret ${plan.secretId}`);
  const promoted = await acts.promoteSecretVersion({ secretId: plan.secretId, versionId: plan.versionId });
  did.push(`version ${plan.versionId} ${promoted.outcome === 'moved' ? 'promoted to' : 'already'} AWSCURRENT (${plan.previousVersionId} is AWSPREVIOUS)`);

  if (plan.wait.mode === 'grace') {
    await sleep(plan.wait.graceMs);
    did.push(`waited ${plan.wait.grace} for the service to read it`);
  } else {
    try {
      const used = await pickupCheck(plan.wait, authority).checkAccessKeyUsed({ principal: plan.principal, accessKeyId: newKeyId });
      did.push(`new key first used ${used.lastUsed} (${used.service})`);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      throw ApplicationFailure.nonRetryable(
        `rotateAccessKey: the new access key ${newKeyId} of ${plan.principal} was not used within ${plan.wait.timeout}: the leaked key ${plan.oldKeyId} is still active ` +
          `so the service keeps working. Secret ${plan.secretId} serves the new key (version ${plan.versionId}). Check that the service reads the secret, then retry the step ` +
          `(it finds what it did) or deactivate ${plan.oldKeyId} by hand`,
        NEW_KEY_NOT_PICKED_UP,
      );
    }
  }
  const keys = await acts.deactivateAccessKeys({ principal: plan.principal, accessKeyIds: [plan.oldKeyId] });
  did.push(keys.changed.length > 0 ? `leaked access key ${plan.oldKeyId} deactivated` : `leaked access key ${plan.oldKeyId} already inactive`);
  return {
    did,
    newKeyId,
    undo: {
      type: 'restoreAccessKeyRotation',
      params: { principal: plan.principal, oldKeyId: plan.oldKeyId, newKeyId, secretId: plan.secretId, previousVersionId: plan.previousVersionId, versionId: plan.versionId },
      description: `put version ${plan.previousVersionId} of secret ${plan.secretId} back as AWSCURRENT and re-enable access key ${plan.oldKeyId} of ${plan.principal}; the new key ${newKeyId} stays active`,
    },
  };
}

export async function rotateAccessKeyWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const authority = stepAuthority(input);
  const { acts, written } = onTheLedger(playbookActivities(step), authority);
  const plan = await acts.prepareRotateAccessKey(input);
  const { did, undo } = await rotateLeakedKey(acts, plan, authority);
  return { summary: did.join('; '), writes: written, undo };
}
