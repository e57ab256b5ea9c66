/** Reading failures inside workflow code: what to show people, and which errors are not failures. */
import { ContinueAsNew, isCancellation } from '@temporalio/workflow';
import { PLAN_CHANGED, type PlanChange } from '../../domain/approval';

/** Cancellation (a person resolved the incident) and continue-as-new pass through every catch. */
export function isControlFlow(err: unknown): boolean {
  return isCancellation(err) || err instanceof ContinueAsNew;
}

/** The innermost message: ActivityFailure and ChildWorkflowFailure wrap the real cause. */
export function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  while (e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e.message ?? String(err);
}

export function planChangeOf(err: unknown): PlanChange | undefined {
  for (let e = err as { type?: string; details?: unknown[]; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type === PLAN_CHANGED) return (e.details?.[0] as PlanChange | undefined) ?? { hash: '', lines: [] };
    if (typeof e.cause !== 'object') break;
  }
  return undefined;
}
