/**
 * The AWS containment playbooks' names, ids and messages, declared once: the incident (through
 * workflows/steps.ts), the CLI and tests import these, so names and payload types cannot drift.
 * Imports only the Temporal workflow and common packages.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { stepScopedId } from '../../domain/ids';
import type { KeyRetirementStatus } from '../../domain/key-retirement';
import type { DecisionProof } from '../../domain/decision-proof';

export const REVOKE_CREDENTIALS_WORKFLOW = 'revokeCredentialsWorkflow';
export const ROTATE_KEY_WORKFLOW = 'rotateKeyWorkflow';
export const BLOCK_TRAFFIC_WORKFLOW = 'blockTrafficWorkflow';
export const BLOCK_EXPIRY_WORKFLOW = 'blockExpiryWorkflow';
export const KEY_DELETION_WORKFLOW = 'keyDeletionWorkflow';
export const REVOKE_KEY_ACCESS_WORKFLOW = 'revokeKeyAccessWorkflow';
export const CLOSE_PUBLIC_ACCESS_WORKFLOW = 'closePublicAccessWorkflow';
export const PROTECT_DATA_STORE_WORKFLOW = 'protectDataStoreWorkflow';
export const KEY_RETIREMENT_WORKFLOW = 'keyRetirementWorkflow';
export const UNDO_CONTAINMENT_WORKFLOW = 'undoContainmentWorkflow';

/** The timer that lifts a block outlives the playbook (and the incident): its own workflow. */
export function blockExpiryWorkflowId(incidentId: string, stepId: string): string {
  return stepScopedId('block-expiry', incidentId, stepId);
}

/** Likewise the grace period before deactivated keys are deleted. */
export function keyDeletionWorkflowId(incidentId: string, stepId: string): string {
  return stepScopedId('key-deletion', incidentId, stepId);
}

/** And the watch over a replaced KMS key, which may end in its deletion weeks after the incident. */
export function keyRetirementWorkflowId(incidentId: string, stepId: string): string {
  return stepScopedId('key-retirement', incidentId, stepId);
}

export function undoWorkflowId(incidentId: string, stepId: string): string {
  return stepScopedId('undo', incidentId, stepId);
}

export interface ExtendBlockRequest {
  /** the ingress's grant for `block.extend` of this block by exactly `extendBy` */
  proof: DecisionProof;
  /** requests recorded before decision proofs */
  by?: string;
  /** added to the current expiry: `30m`, `12h`, `2d` */
  extendBy: string;
  reason: string;
}

/**
 * Lift now: a grant for `block.lift` of this block, or the undo's grant for the step that made it.
 * Without a valid one the signal is ignored and recorded.
 */
export interface LiftBlockRequest {
  proof?: DecisionProof;
  /** signals from before decision proofs */
  by?: string;
  reason: string;
}

/** Keep the keys: a grant for `key-deletion.cancel` of this deletion, or the undo's for its step. */
export interface CancelKeyDeletionRequest {
  proof?: DecisionProof;
  /** signals from before decision proofs */
  by?: string;
  reason: string;
}

/** A signal without a valid proof: it changed nothing, and is kept with the timer's status. */
export interface IgnoredSignal {
  at: string;
  signal: string;
  reason: string;
}

export interface BlockStatus {
  /** ledger ids of the AWS writes the lift made */
  writes?: string[];
  cidrs: string[];
  ipSet: string;
  expiresAt: string;
  extensions: { by: string; extendBy: string; reason: string }[];
  lifted?: { at: string; by: string; reason: string };
  ignored?: IgnoredSignal[];
}

export interface KeyDeletionStatus {
  /** ledger ids of the AWS writes the deletion made */
  writes?: string[];
  principal: string;
  accessKeyIds: string[];
  deleteAt: string;
  cancelled?: { by: string; reason: string };
  deleted?: string[];
  ignored?: IgnoredSignal[];
}

export interface KeyRetirementInput {
  keyId: string;
  keyArn: string;
  replacementKeyId: string;
  /** the aliases the rotation moved to the replacement */
  aliases: string[];
  incidentId: string;
  stepId: string;
  /** the rotation's time: the key counts as unused from here */
  startedAt: string;
  unusedFor: string;
  unusedForMs: number;
  checkEvery: string;
  checkEveryMs: number;
  pendingWindowDays: number;
  /** who may approve the deletion (two of them) */
  approvalGroup: string;
  /** who asked for the incident; they may not approve (empty when unknown) */
  requester: string;
  carried?: CarriedKeyRetirement;
  /** continue as new past this many history events (the server's own suggestion also counts) */
  historyLimit?: number;
}

export interface KeyDeletionApproval {
  by: string;
  justification: string;
  at: string;
}

export interface KeyRetirementChange {
  at: string;
  by: string;
  what: string;
  message: string;
}

export interface KeyRetirementView {
  id: string;
  keyId: string;
  keyArn: string;
  replacementKeyId: string;
  aliases: string[];
  incidentId: string;
  stepId: string;
  status: KeyRetirementStatus;
  unusedFor: string;
  checkEvery: string;
  pendingWindowDays: number;
  approvalGroup: string;
  /** unused since then, as far as CloudTrail shows */
  quietSince: string;
  lastUse?: { at: string; event: string };
  lastCheck?: { at: string; ok: boolean; error?: string };
  /** the deletion on offer; approvals count for this offer only */
  offer?: { n: number; at: string };
  approvals: KeyDeletionApproval[];
  deletion?: { scheduledAt: string; deletionDate: string };
  changes: KeyRetirementChange[];
  /** workflow time of the view */
  asOf: string;
}

export interface CarriedKeyRetirement {
  status: KeyRetirementStatus;
  quietSince: number;
  lastUse?: { at: string; event: string };
  lastCheck?: { at: string; ok: boolean; error?: string };
  offers: number;
  offer?: { n: number; at: string };
  approvals: KeyDeletionApproval[];
  approvers: string[];
  deletion?: { scheduledAt: string; deletionDate: string };
  changes: KeyRetirementChange[];
  stop?: KeyRetirementRequest;
}

export interface KeyDeletionApprovalRequest {
  /** the grant for this approval of this offer (domain/decision-proof.ts) */
  proof?: DecisionProof;
  /** only in requests recorded before decision proofs */
  by?: string;
  justification: string;
  /** the offer number the approver saw; a stale one is refused */
  offer?: number;
}

export interface KeyRetirementRequest {
  proof?: DecisionProof;
  /** only in requests recorded before decision proofs */
  by?: string;
  reason: string;
}

/** One of the two approvals that schedule a retired key's deletion (validator: group, requester, distinct, justification). */
export const approveKeyDeletionUpdate = defineUpdate<KeyRetirementView, [KeyDeletionApprovalRequest]>('approveKmsKeyDeletion');
/** CancelKeyDeletion, then EnableKey; the key goes back to being watched. */
export const cancelKmsKeyDeletionUpdate = defineUpdate<KeyRetirementView, [KeyRetirementRequest]>('cancelKmsKeyDeletion');
/** The deletion was cancelled directly (the undo type): recorded, and the key is watched again. */
export const keyDeletionCancelledSignal = defineSignal<[KeyRetirementRequest]>('kmsKeyDeletionCancelled');
/** The rotation was undone: stop watching (a scheduled deletion is cancelled first). */
export const stopKeyRetirementSignal = defineSignal<[KeyRetirementRequest]>('stopKeyRetirement');
export const keyRetirementStatusQuery = defineQuery<KeyRetirementView>('keyRetirementStatus');

/** A responder keeps a block longer; the validator refuses a lifted block or a bad duration. */
export const extendBlockUpdate = defineUpdate<BlockStatus, [ExtendBlockRequest]>('extendBlock');
/** Lift now (the unblock undo, or a responder's decision). */
export const liftBlockSignal = defineSignal<[LiftBlockRequest]>('liftBlock');
export const blockStatusQuery = defineQuery<BlockStatus>('blockStatus');

/** Keep the keys: a reactivation (undo) or a responder's decision to retain them. */
export const cancelKeyDeletionSignal = defineSignal<[CancelKeyDeletionRequest]>('cancelKeyDeletion');
export const keyDeletionStatusQuery = defineQuery<KeyDeletionStatus>('keyDeletionStatus');

export { parseDurationMs } from '../../domain/duration';

/**
 * What a running block holds, as `<ip set id>|<cidr>` tags: when two incidents block the same
 * address, the first to expire sees the other still holds it and leaves it in place.
 */
export const blockedCidrsKey = defineSearchAttributeKey('TourniquetBlockedCidrs', SearchAttributeType.KEYWORD_LIST);

export function blockTag(ipSetId: string, cidr: string): string {
  return `${ipSetId}|${cidr}`;
}
