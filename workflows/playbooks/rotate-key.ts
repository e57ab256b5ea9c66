/**
 * rotateKey: new key material for an exposed KMS key. On demand when KMS allows it (the key id
 * stays); otherwise a replacement key takes over the aliases and the old key is scheduled for
 * deletion after the runbook's pending window. Either way the result is read back before success.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AwsActivities } from '../../activities/aws';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { playbookActivities } from './activity-options';

/** KMS rotates asynchronously: reading the rotation back may take a few tries. */
const verify = proxyActivities<AwsActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '30s', maximumAttempts: 30 },
});

export async function rotateKeyWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const acts = playbookActivities(step);
  const plan = await acts.prepareRotate(input);
  if (plan.mode === 'on-demand') {
    await acts.rotateKeyOnDemand({ keyId: plan.keyId, rotationsBefore: plan.rotationsBefore, limit: plan.limit });
    const { rotations } = await verify.verifyOnDemandRotation({ keyId: plan.keyId, rotationsBefore: plan.rotationsBefore });
    return { summary: `rotated KMS key ${plan.keyId} on demand (${rotations} of ${plan.limit} on-demand rotations used)` };
  }
  const replacement = await acts.createReplacementKey({
    oldKeyId: plan.keyId,
    marker: plan.marker,
    keySpec: plan.keySpec,
    keyUsage: plan.keyUsage,
    incidentId: input.incidentId,
  });
  if (replacement.keyId === plan.keyId) {
    // The alias already leads to this step's own replacement (a re-run after success): never
    // schedule the new key for deletion.
    return { summary: `KMS key ${plan.keyId} is already this step's replacement key; nothing changed` };
  }
  await acts.moveAliases({ aliases: plan.aliases, targetKeyId: replacement.keyId });
  const deletion = await acts.scheduleKeyDeletion({ keyId: plan.keyId, pendingWindowDays: plan.pendingWindowDays });
  return {
    summary:
      `replaced KMS key ${plan.keyId} by ${replacement.keyId} (${plan.reason}); ${plan.aliases.join(', ')} moved; ` +
      `old key deleted on ${deletion.deletionDate.slice(0, 10)} unless cancelled`,
  };
}
