/**
 * rotateSecret: a database or API secret rotated by its own rotation function, which Secrets
 * Manager runs asynchronously; the step asks once and reads the rotation back. No undo: the
 * function changed the credential at its source.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AwsActivities } from '../../activities/aws';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { onTheLedger, playbookActivities, stepAuthority } from './activity-options';

/** A rotation function may take minutes (a database's password change, its test connection). */
const verify = proxyActivities<AwsActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '30s' },
});

export async function rotateSecretWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const { acts, written } = onTheLedger(playbookActivities(step), stepAuthority(input));
  const plan = await acts.prepareRotateSecret(input);
  if (plan.stage === 'current') return { summary: `secret ${plan.secretId} was rotated by this step already (version ${plan.versionId} is AWSCURRENT)` };
  await acts.rotateSecretNow({ secretId: plan.secretId, versionId: plan.versionId, rotationLambdaArn: plan.rotationLambdaArn });
  await verify.checkSecretRotated({ secretId: plan.secretId, versionId: plan.versionId });
  return {
    summary: `secret ${plan.secretId} rotated by its rotation function: version ${plan.versionId} is AWSCURRENT${plan.previousVersionId ? `, ${plan.previousVersionId} AWSPREVIOUS` : ''}`,
    writes: written,
  };
}
