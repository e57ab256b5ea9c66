/**
 * rotateKey: new key material for an exposed KMS key. On demand when KMS allows it (the key id
 * stays, old material still decrypts); otherwise a replacement key takes over the aliases and the
 * old key is retired: kept enabled, its policy denying new ciphertext to everyone, so everything
 * encrypted under it stays readable. Its deletion is a separate decision, offered by
 * `keyRetirementWorkflow` once CloudTrail shows the key unused, and taken by two people.
 */
import { ParentClosePolicy, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { AwsActivities } from '../../activities/aws';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { onTheLedger, playbookActivities, stepAuthority } from './activity-options';
import { keyRetirementWorkflowId } from './definitions';
import { keyRetirementWorkflow } from './key-retirement';
import type { KnownUndo } from './undo-kinds';

/** KMS rotates asynchronously: reading the rotation back may take a few tries. */
const verify = proxyActivities<AwsActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '30s', maximumAttempts: 30 },
});

const incident = proxyActivities<Pick<Activities, 'incidentRequester'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
});

export async function rotateKeyWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const { acts, written } = onTheLedger(playbookActivities(step), stepAuthority(input));
  const plan = await acts.prepareRotate(input);
  if (plan.mode === 'on-demand') {
    await acts.rotateKeyOnDemand({ keyId: plan.keyId, rotationsBefore: plan.rotationsBefore, limit: plan.limit });
    const { rotations } = await verify.verifyOnDemandRotation({ keyId: plan.keyId, rotationsBefore: plan.rotationsBefore });
    return { summary: `rotated KMS key ${plan.keyId} on demand (${rotations} of ${plan.limit} on-demand rotations used)`, writes: written };
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
    // retire the new key.
    return { summary: `KMS key ${plan.keyId} is already this step's replacement key; nothing changed` };
  }
  await acts.moveAliases({ aliases: plan.aliases, targetKeyId: replacement.keyId });

  if (!patched('retire-not-delete')) {
    // Histories recorded before retirement existed scheduled the deletion at once.
    const deletion = await acts.scheduleKeyDeletion({ keyId: plan.keyId, pendingWindowDays: plan.pendingWindowDays });
    return {
      summary:
        `replaced KMS key ${plan.keyId} by ${replacement.keyId} (${plan.reason}); ${plan.aliases.join(', ')} moved; ` +
        `old key deleted on ${deletion.deletionDate.slice(0, 10)} unless cancelled`,
      writes: written,
    };
  }

  // Only after the aliases moved: until then the aliases' users still encrypt under the old key.
  const { previousPolicy } = await acts.restrictKeyPolicy({ keyId: plan.keyId });
  const requester = (await incident.incidentRequester({ incidentId: input.incidentId })) ?? '';
  const retirementId = keyRetirementWorkflowId(input.incidentId, input.stepId);
  await startChild(keyRetirementWorkflow, {
    workflowId: retirementId,
    args: [
      {
        keyId: plan.keyId,
        keyArn: plan.keyArn,
        replacementKeyId: replacement.keyId,
        aliases: plan.aliases,
        incidentId: input.incidentId,
        stepId: input.stepId,
        startedAt: workflowInfo().startTime.toISOString(),
        unusedFor: plan.retirement.unusedFor,
        unusedForMs: plan.retirement.unusedForMs,
        checkEvery: plan.retirement.checkEvery,
        checkEveryMs: plan.retirement.checkEveryMs,
        pendingWindowDays: plan.pendingWindowDays,
        approvalGroup: step?.approval?.group ?? plan.retirement.approvalGroup,
        requester,
      },
    ],
    // The key is watched, and its deletion offered, long after the incident has ended.
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return {
    summary:
      `replaced KMS key ${plan.keyId} by ${replacement.keyId} (${plan.reason}); ${plan.aliases.join(', ')} moved; ` +
      `old key kept enabled for decryption only (no new ciphertext); deletion offered once unused for ${plan.retirement.unusedFor}, with two approvals`,
    writes: written,
    undo: {
      type: 'restoreRotatedKey',
      params: { keyId: plan.keyId, aliases: plan.aliases, policy: previousPolicy, keyRetirementWorkflowId: retirementId },
      description: `point ${plan.aliases.join(', ')} back at ${plan.keyId}, put its key policy back (new ciphertext allowed again) and stop its retirement; the replacement ${replacement.keyId} stays`,
    } satisfies KnownUndo,
  };
}
