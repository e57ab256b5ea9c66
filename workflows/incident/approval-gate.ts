/**
 * The approval gate of a risky step: plan it from the current state with its frozen parameters, ask
 * the approver group, wait for their decision, escalate when nobody decides, and take the runbook's
 * default at the final timeout. The approval binds the plan's hash; the step itself refuses to act
 * when the world no longer yields that plan (see step-runner.ts).
 */
import { condition, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Plan } from '../../domain/plan';
import { approvalOutcome } from '../../domain/approval';
import type { StepState } from '../../domain/incident';
import { isTerminal } from '../../domain/incident';
import type { ApprovalPolicy, RunbookStep } from '../../domain/runbook';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { duration } from '../steps';
import { acts, type IncidentRun } from './run';

/** Planning a step retries like the step itself: a planner that keeps failing fails the step. */
function planner(step: RunbookStep) {
  return proxyActivities<Pick<Activities, 'planStep'>>({
    startToCloseTimeout: duration(step.timeout),
    heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
    retry: { maximumAttempts: step.retry.maximumAttempts, initialInterval: duration(step.retry.initialInterval), maximumInterval: '1 minute' },
  });
}

export function planStep(run: IncidentRun, step: RunbookStep, st: StepState): Promise<Plan> {
  return planner(step).planStep({ type: step.type, params: st.params ?? {}, incidentId: run.state.id, stepId: step.id });
}

/** True when the step may run with the plan `st.planHash` names. */
export async function gate(run: IncidentRun, step: RunbookStep, st: StepState): Promise<boolean> {
  let replanned: Plan | undefined;
  for (;;) {
    if (st.status !== 'awaiting-approval' || replanned) await ask(run, step, st, replanned);
    replanned = undefined;
    if ((await awaitDecision(run, step, st)) === 'denied') return false;
    if (patched('exact-plan')) return true;
    // Incidents from before exact-plan approvals planned again here and asked again on a change.
    const plan = await planStep(run, step, st);
    if (plan.hash === st.planHash) return true;
    run.record('approval.voided', `${step.id}: the plan changed after approval; asking again`, 'worker', { step: step.id });
    replanned = plan;
  }
}

async function ask(run: IncidentRun, step: RunbookStep, st: StepState, planned?: Plan): Promise<void> {
  const policy = step.approval!;
  const plan = planned ?? (await planStep(run, step, st));
  st.plan = plan.lines;
  st.planHash = plan.hash;
  st.approvals = [];
  run.escalatedSteps.delete(step.id);
  st.status = 'awaiting-approval';
  run.record('approval.requested', `${step.id} needs ${policy.approvers} approval(s) from ${policy.group}`, 'worker', { step: step.id });
  // Unsent, the approval can still be given from the CLI; the timeout escalates as usual.
  await run.tell('the approval request', () =>
    acts.requestApproval({
      incidentId: run.state.id,
      incidentTitle: run.state.title,
      stepId: step.id,
      stepType: step.type,
      plan: plan.lines,
      planHash: plan.hash,
      group: policy.group,
      approvers: policy.approvers,
      requester: run.state.requester,
      escalation: policy.escalateTo,
      ...(run.pinned?.runbook.raci?.consulted.length ? { consulted: run.pinned.runbook.raci.consulted } : {}),
    }),
  );
}

async function awaitDecision(run: IncidentRun, step: RunbookStep, st: StepState): Promise<'approved' | 'denied'> {
  const policy = step.approval!;
  const decided = () => approvalOutcome(policy, st.approvals) !== 'pending' || isTerminal(run.state.status);
  if (await condition(decided, duration(policy.timeout))) return outcomeOrDenied(policy, st);
  run.escalatedSteps.add(step.id);
  run.record('approval.escalated', `no decision on ${step.id} within ${policy.timeout}`, 'worker', { step: step.id });
  await run.tell('the approval escalation', () =>
    acts.escalate({
      incidentId: run.state.id,
      stepId: step.id,
      group: policy.escalateTo,
      message: `approval for ${step.id} timed out after ${policy.timeout}`,
    }),
  );
  if (await condition(decided, duration(policy.finalTimeout))) return outcomeOrDenied(policy, st);
  const proceed = policy.onTimeout === 'proceed' && run.pinned!.runbook.autoContainment && run.state.severity === 'critical';
  run.record(
    'approval.timeout',
    `${step.id}: no decision; runbook default is to ${proceed ? 'proceed (critical, auto-containment)' : 'deny'}`,
    'worker',
    { step: step.id },
  );
  return proceed ? 'approved' : 'denied';
}

function outcomeOrDenied(policy: ApprovalPolicy, st: StepState): 'approved' | 'denied' {
  return approvalOutcome(policy, st.approvals) === 'approved' ? 'approved' : 'denied';
}
