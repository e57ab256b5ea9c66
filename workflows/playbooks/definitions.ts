/**
 * The AWS containment playbooks' names, ids and messages, declared once: the incident (through
 * workflows/steps.ts), the CLI and tests import these, so names and payload types cannot drift.
 * Imports only the Temporal workflow and common packages.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DecisionProof } from '../../domain/decision-proof';

export const REVOKE_CREDENTIALS_WORKFLOW = 'revokeCredentialsWorkflow';
export const ROTATE_KEY_WORKFLOW = 'rotateKeyWorkflow';
export const BLOCK_TRAFFIC_WORKFLOW = 'blockTrafficWorkflow';
export const BLOCK_EXPIRY_WORKFLOW = 'blockExpiryWorkflow';
export const KEY_DELETION_WORKFLOW = 'keyDeletionWorkflow';
export const UNDO_CONTAINMENT_WORKFLOW = 'undoContainmentWorkflow';

function scoped(incidentId: string, stepId: string): string {
  return `${incidentId.replace(/^incident\//, '')}/${stepId}`;
}

/** The timer that lifts a block outlives the playbook (and the incident): its own workflow. */
export function blockExpiryWorkflowId(incidentId: string, stepId: string): string {
  return `block-expiry/${scoped(incidentId, stepId)}`;
}

/** Likewise the grace period before deactivated keys are deleted. */
export function keyDeletionWorkflowId(incidentId: string, stepId: string): string {
  return `key-deletion/${scoped(incidentId, stepId)}`;
}

export function undoWorkflowId(incidentId: string, stepId: string): string {
  return `undo/${scoped(incidentId, stepId)}`;
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
  cidrs: string[];
  ipSet: string;
  expiresAt: string;
  extensions: { by: string; extendBy: string; reason: string }[];
  lifted?: { at: string; by: string; reason: string };
  ignored?: IgnoredSignal[];
}

export interface KeyDeletionStatus {
  principal: string;
  accessKeyIds: string[];
  deleteAt: string;
  cancelled?: { by: string; reason: string };
  deleted?: string[];
  ignored?: IgnoredSignal[];
}

/** A responder keeps a block longer; the validator refuses a lifted block or a bad duration. */
export const extendBlockUpdate = defineUpdate<BlockStatus, [ExtendBlockRequest]>('extendBlock');
/** Lift now (the unblock undo, or a responder's decision). */
export const liftBlockSignal = defineSignal<[LiftBlockRequest]>('liftBlock');
export const blockStatusQuery = defineQuery<BlockStatus>('blockStatus');

/** Keep the keys: a reactivation (undo) or a responder's decision to retain them. */
export const cancelKeyDeletionSignal = defineSignal<[CancelKeyDeletionRequest]>('cancelKeyDeletion');
export const keyDeletionStatusQuery = defineQuery<KeyDeletionStatus>('keyDeletionStatus');

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `15m`, `2h`, `7d` → milliseconds; undefined for anything else. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}

/**
 * What a running block holds, as `<ip set id>|<cidr>` tags: when two incidents block the same
 * address, the first to expire sees the other still holds it and leaves it in place.
 */
export const blockedCidrsKey = defineSearchAttributeKey('TourniquetBlockedCidrs', SearchAttributeType.KEYWORD_LIST);

export function blockTag(ipSetId: string, cidr: string): string {
  return `${ipSetId}|${cidr}`;
}
