import { ApplicationFailure } from '@temporalio/activity';
import { PLAN_CHANGED, type PlanChange } from '../domain/approval';
import { sealPlan, type Plan } from '../domain/plan';
import type { StepInput } from './step';

/**
 * A playbook acts only on the plan its approvers saw. Its first activity reads the state again;
 * when that state no longer yields the approved plan it refuses before anything is written, with
 * the new plan, and the incident voids the approval and asks again.
 */
export function boundToApproval<P>(
  type: string,
  prepare: (input: StepInput) => Promise<P>,
  describe: (plan: P) => Omit<Plan, 'hash'>,
): (input: StepInput) => Promise<P> {
  return async (input) => {
    const plan = await prepare(input);
    if (input.planHash === undefined) return plan;
    const now = sealPlan({ type, params: input.params, incidentId: input.incidentId, stepId: input.stepId }, describe(plan));
    if (now.hash === input.planHash) return plan;
    const change: PlanChange = { hash: now.hash, lines: now.lines };
    throw ApplicationFailure.create({
      type: PLAN_CHANGED,
      nonRetryable: true,
      message: `${type}: the current state no longer matches the approved plan; nothing was changed`,
      details: [change],
    });
  };
}
