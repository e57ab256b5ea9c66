/**
 * snapshotEvidence: collect the incident's artifacts (raw alerts, incident state, timeline,
 * approvals, AWS state, CloudTrail) into the evidence store with a manifest and chain of custody.
 * Params: { label?: string } — e.g. `before` / `after` a containment step.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { duration } from '../steps';

export async function snapshotEvidenceWorkflow(input: StepInput, step: RunbookStep): Promise<StepOutcome> {
  const { snapshotEvidence } = proxyActivities<Activities>({
    startToCloseTimeout: duration(step.timeout),
    heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
    retry: { maximumAttempts: step.retry.maximumAttempts, initialInterval: duration(step.retry.initialInterval) },
  });
  const { workflowId, runId } = workflowInfo();
  const label = typeof input.params.label === 'string' && input.params.label.trim() ? input.params.label.trim() : undefined;
  const result = await snapshotEvidence({
    incidentId: input.incidentId,
    stepId: input.stepId,
    ...(label ? { label } : {}),
    // One snapshot per playbook run: a retried activity finds and returns the one it wrote.
    snapshotId: `${input.stepId}-${runId}`,
    workflowId,
    runId,
  });
  return {
    summary: `evidence${label ? ` (${label})` : ''}: ${result.artifacts} artifacts, manifest ${result.manifestHash.slice(0, 12)}, snapshot ${result.snapshotId}`,
  };
}
