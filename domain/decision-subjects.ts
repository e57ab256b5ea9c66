/**
 * What a decision grant binds, built in one place for the ingress (which signs) and the workflows
 * (which check): the same decision always yields the same subject, so a grant for one step, plan,
 * undo, obligation or conclusion cannot be spent on another. Free text (reasons, justifications)
 * is not bound: it is the decider's to word, and is recorded with the verified actor.
 */
import type { Action } from './authority';
import { canonicalJson, sha256Hex } from './canonical-json';
import type { Undo } from './incident';

export type Subject = Record<string, string>;

export const noSubject = (): Subject => ({});

export const stepSubject = (stepId: string): Subject => ({ stepId });

/** An approval names the plan it approves; a denial stops the step whatever the plan. */
export const approvalSubject = (stepId: string, planHash?: string): Subject => (planHash ? { stepId, planHash } : { stepId });

/** The exact compensation: its type and parameters (which IP set, which keys, which timer). */
export const undoSubject = (stepId: string, undo: Undo): Subject => ({
  stepId,
  undo: sha256Hex(canonicalJson({ type: undo.type, params: undo.params })),
});

/** A role assignment binds the role and the person it goes to. */
export const roleSubject = (role: string, person: string): Subject => ({ role, person });

export const noticeSubject = (obligationId: string): Subject => ({ obligationId });

export const assessmentSubject = (conclusion: string): Subject => ({ conclusion });

/** A risk assessment that ends the notification duty (164.402(2)) is an authority of its own. */
export function assessmentAction(conclusion: string): Action {
  return conclusion === 'low-probability-of-compromise' ? 'clock.assessment.close' : 'clock.assessment';
}
