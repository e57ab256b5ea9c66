import type { Approval } from './incident';
import type { ApprovalPolicy } from './runbook';

export interface ApprovalAttempt {
  policy: ApprovalPolicy;
  /** decisions already recorded for the current plan */
  approvals: Approval[];
  by: string;
  /** who asked for the incident; they may not approve their own request */
  requester: string;
  groups: Record<string, string[]>;
  /** after the first timeout, the escalation group may decide too */
  escalated: boolean;
  /** the plan the approver was shown, if known; it must be the current plan */
  planHash?: string;
  currentPlanHash: string;
}

/** Why an approval or denial must be rejected, or undefined when it may be recorded. */
export function rejectApproval(attempt: ApprovalAttempt): string | undefined {
  const { policy, by } = attempt;
  const allowedGroups = [policy.group, ...(attempt.escalated && policy.escalateTo ? [policy.escalateTo] : [])];
  if (!allowedGroups.some((group) => attempt.groups[group]?.includes(by))) {
    return `${by} is not in the approver group ${allowedGroups.join(' or ')}`;
  }
  if (by === attempt.requester) return `${by} requested this action and cannot also approve it`;
  if (attempt.approvals.some((a) => a.by === by)) return `${by} has already decided on this step`;
  if (attempt.planHash !== undefined && attempt.planHash !== attempt.currentPlanHash) {
    return 'the plan changed since this approval was asked for; review the new plan';
  }
  return undefined;
}

/** Any denial denies; `approvers` distinct approvals approve (two-person rule when 2). */
export function approvalOutcome(policy: ApprovalPolicy, approvals: Approval[]): 'approved' | 'denied' | 'pending' {
  if (approvals.some((a) => a.decision === 'deny')) return 'denied';
  const distinct = new Set(approvals.filter((a) => a.decision === 'approve').map((a) => a.by));
  return distinct.size >= policy.approvers ? 'approved' : 'pending';
}

/**
 * The failure type of a step that found the world no longer matching its approved plan and wrote
 * nothing; its details carry the new plan. The incident voids the approval and asks again.
 */
export const PLAN_CHANGED = 'PlanChanged';

export interface PlanChange {
  hash: string;
  lines: string[];
}

/** What changed between the plan approved and the plan now, one `-`/`+` line each. */
export function planDiff(before: string[], after: string[]): string[] {
  return [...before.filter((l) => !after.includes(l)).map((l) => `- ${l}`), ...after.filter((l) => !before.includes(l)).map((l) => `+ ${l}`)];
}
