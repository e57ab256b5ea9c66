import type { ApprovalPolicy } from './runbook';

/**
 * The retirement of a replaced KMS key, as rules: it is watched until CloudTrail shows it unused
 * for the configured period, then its deletion is offered; two approvals and a fresh look at its
 * use schedule the deletion; a cancellation, or any use before scheduling, sends it back to
 * watching. Deleting a key makes every ciphertext under it unreadable for good, so nothing here
 * moves towards deletion without a person and a quiet period.
 */

export const KEY_RETIREMENT_STATUSES = ['watching', 'offered', 'scheduled', 'deleted', 'stopped'] as const;
export type KeyRetirementStatus = (typeof KEY_RETIREMENT_STATUSES)[number];

export type KeyRetirementEvent =
  /** unused for the whole period */
  | 'quiet'
  /** CloudTrail shows a use */
  | 'used'
  /** ScheduleKeyDeletion done, after two approvals and a last look */
  | 'scheduled'
  /** the deletion was cancelled (and the key enabled again) */
  | 'cancelled'
  /** KMS no longer knows the key */
  | 'gone'
  /** the rotation was undone: the key is in use again */
  | 'stop';

/** status × event → next status; a missing cell is an event that changes nothing. */
const TRANSITIONS: Record<KeyRetirementStatus, Partial<Record<KeyRetirementEvent, KeyRetirementStatus>>> = {
  watching: { quiet: 'offered', stop: 'stopped' },
  offered: { used: 'watching', scheduled: 'scheduled', stop: 'stopped' },
  scheduled: { cancelled: 'watching', gone: 'deleted', stop: 'stopped' },
  deleted: {},
  stopped: {},
};

export function nextRetirementStatus(status: KeyRetirementStatus, event: KeyRetirementEvent): KeyRetirementStatus {
  return TRANSITIONS[status][event] ?? status;
}

export function retirementEnded(status: KeyRetirementStatus): boolean {
  return Object.keys(TRANSITIONS[status]).length === 0;
}

/** The key has been unused from `quietSince` until `now` for at least `unusedForMs`. */
export function quietLongEnough(quietSince: number, now: number, unusedForMs: number): boolean {
  return now - quietSince >= unusedForMs;
}

/**
 * Deletion always takes two distinct people of the rotation's approver group (whatever the
 * rotation itself needed). The offer has no timeout: it stands until the key is used again.
 */
export function deletionApprovalPolicy(group: string): ApprovalPolicy {
  return { group, approvers: 2, timeout: '0s', finalTimeout: '0s', onTimeout: 'deny' };
}
