/**
 * Step types: the one registration point. A runbook step's `type` names an entry here; adding a
 * playbook is one workflow, its activities, and one line in STEP_TYPES.
 */
import { executeChild, proxyActivities, ParentClosePolicy } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { stepScopedId } from '../domain/ids';
import type { RunbookStep } from '../domain/runbook';
import type { Activities } from '../activities';
import type { StepInput, StepOutcome } from '../activities/step';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from './activity-heartbeat';
import { recordFollowUpDue } from './follow-up-due-step';

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
    heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
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
      workflowId: stepScopedId('playbook', input.incidentId, input.stepId),
      args: [input, step],
      // A playbook is cancelled with its incident: half-done containment is not left running unseen.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
}

/**
 * What a step type is for. `tell`: best effort, a refusal is recorded and the runbook goes on.
 * `evidence`: records, changes nothing. `contain`: changes the world; an incident is `contained`
 * only when one of these succeeded.
 */
export type StepRole = 'tell' | 'evidence' | 'contain';

export interface StepType {
  run: StepRunner;
  role: StepRole;
}

export const STEP_TYPES: Record<string, StepType> = {
  notify: { run: activityStep('notify'), role: 'tell' },
  webhook: { run: activityStep('callWebhook'), role: 'contain' },
  revokeCredentials: { run: playbookStep('revokeCredentialsWorkflow'), role: 'contain' },
  rotateKey: { run: playbookStep('rotateKeyWorkflow'), role: 'contain' },
  revokeKeyAccess: { run: playbookStep('revokeKeyAccessWorkflow'), role: 'contain' },
  blockTraffic: { run: playbookStep('blockTrafficWorkflow'), role: 'contain' },
  closePublicAccess: { run: playbookStep('closePublicAccessWorkflow'), role: 'contain' },
  protectDataStore: { run: playbookStep('protectDataStoreWorkflow'), role: 'contain' },
  rotateAccessKey: { run: playbookStep('rotateAccessKeyWorkflow'), role: 'contain' },
  rotateSecret: { run: playbookStep('rotateSecretWorkflow'), role: 'contain' },
  snapshotEvidence: { run: playbookStep('snapshotEvidenceWorkflow'), role: 'evidence' },
  // records when a fix is due; changes nothing
  recordFollowUpDue: { run: recordFollowUpDue, role: 'evidence' },
};

/** Unknown types (a runbook pinned by an older version) count as containment: never under-report. */
export function stepRole(type: string): StepRole {
  return STEP_TYPES[type]?.role ?? 'contain';
}

export const STEP_TYPE_NAMES: ReadonlySet<string> = new Set(Object.keys(STEP_TYPES));
