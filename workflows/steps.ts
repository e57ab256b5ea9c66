/**
 * Step types: the one registration point. A runbook step's `type` names an entry here; adding a
 * playbook is one workflow, its activities, and one line in STEP_TYPES.
 */
import { executeChild, proxyActivities, ParentClosePolicy } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { RunbookStep } from '../domain/runbook';
import type { Activities } from '../activities';
import type { StepInput, StepOutcome } from '../activities/step';

export type StepRunner = (step: RunbookStep, input: StepInput) => Promise<StepOutcome>;

type ActivityStepName = {
  [K in keyof Activities]: Activities[K] extends (input: StepInput) => Promise<StepOutcome> ? K : never;
}[keyof Activities];

/** Runbook durations were validated by the runbook schema (`30s`, `15m`, `2h`, `7d`). */
export function duration(value: string): Duration {
  return value as Duration;
}

function activityOptions(step: RunbookStep) {
  return {
    startToCloseTimeout: duration(step.timeout),
    retry: { maximumAttempts: step.retry.maximumAttempts, initialInterval: duration(step.retry.initialInterval) },
  };
}

/** A step done by one activity, with the step's own timeout and retry policy. */
export function activityStep(name: ActivityStepName): StepRunner {
  return (step, input) => proxyActivities<Activities>(activityOptions(step))[name](input);
}

/** A step done by a playbook child workflow (`playbook/<incident>/<step>`), so it can be observed alone. */
export function playbookStep(workflowType: string): StepRunner {
  return (step, input) =>
    executeChild<(input: StepInput, step: RunbookStep) => Promise<StepOutcome>>(workflowType, {
      workflowId: `playbook/${input.incidentId.replace(/^incident\//, '')}/${input.stepId}`,
      args: [input, step],
      // A playbook is cancelled with its incident: half-done containment is not left running unseen.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
}

export const STEP_TYPES: Record<string, StepRunner> = {
  notify: activityStep('notify'),
  webhook: activityStep('callWebhook'),
  revokeCredentials: playbookStep('revokeCredentialsWorkflow'),
  rotateKey: playbookStep('rotateKeyWorkflow'),
  revokeKeyAccess: playbookStep('revokeKeyAccessWorkflow'),
  blockTraffic: playbookStep('blockTrafficWorkflow'),
  snapshotEvidence: playbookStep('snapshotEvidenceWorkflow'),
};

export const STEP_TYPE_NAMES: ReadonlySet<string> = new Set(Object.keys(STEP_TYPES));
