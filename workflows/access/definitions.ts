/**
 * Break-glass access grants: names, messages and views, declared once for the workflow, the
 * ingress (operator API, Slack), the CLI and the dashboard. Imports only Temporal and domain types.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AccessEnd, AccessGrant, AccessStatus } from '../../domain/access';
import type { DecisionProof } from '../../domain/decision-proof';

export const ACCESS_GRANT_WORKFLOW = 'accessGrantWorkflow';
export const ACCESS_RECONCILIATION_WORKFLOW = 'accessReconciliationWorkflow';

/** What the ingress starts the grant with: the request as the verified requester made it. */
export interface AccessRequestInput {
  requestId: string;
  profile: string;
  grant: AccessGrant;
  requester: string;
  duration: string;
  maxDuration: string;
  reason: string;
  incidentId?: string;
  approverGroup: string;
  approvers: number;
  holderGroup?: string;
  /** how often the grant checks its incident and holder; how long a request waits for a decision */
  checkEvery: string;
  approvalTimeout: string;
  /** the requester's grant for `access.request` on this workflow, binding the plan's hash */
  proof?: DecisionProof;
}

export interface AccessDecisionRequest {
  proof?: DecisionProof;
  decision: 'approve' | 'deny';
  /** the plan the approver reviewed; a different current plan refuses the decision */
  planHash: string;
  justification: string;
}

export interface AccessRevokeRequest {
  proof?: DecisionProof;
  reason: string;
}

export interface AccessExtendRequest {
  proof?: DecisionProof;
  extendBy: string;
  reason: string;
}

export interface AccessDecision {
  by: string;
  decision: 'approve' | 'deny';
  justification: string;
  at: string;
  planHash: string;
}

export interface AccessChange {
  at: string;
  by: string;
  what: string;
  message: string;
}

export interface AccessGrantView {
  id: string;
  requestId: string;
  profile: string;
  requester: string;
  grant: AccessGrant;
  status: AccessStatus;
  duration: string;
  incidentId?: string;
  approverGroup: string;
  approvers: number;
  /** what is asked for now: the request, or an extension */
  pending?: { plan: string[]; planHash: string; kind: 'request' | 'extension'; decisions: AccessDecision[]; until?: string };
  grantedAt?: string;
  expiresAt?: string;
  endedAt?: string;
  end?: { why: AccessEnd; by: string; reason: string };
  /** the ledger ids of the AWS writes (grant, revocation) */
  ledger: string[];
  changes: AccessChange[];
  asOf: string;
}

export const accessStatusQuery = defineQuery<AccessGrantView>('accessStatus');
export const decideAccessUpdate = defineUpdate<AccessGrantView, [AccessDecisionRequest]>('decideAccess');
export const revokeAccessUpdate = defineUpdate<AccessGrantView, [AccessRevokeRequest]>('revokeAccess');
export const extendAccessUpdate = defineUpdate<AccessGrantView, [AccessExtendRequest]>('extendAccess');

/** What one reconciliation found and did. */
export interface AccessReconciliation {
  at: string;
  /** in AWS with no open grant: removed */
  removed: string[];
  /** an active grant AWS no longer has: escalated, not granted again */
  missing: string[];
  /** removals that failed: escalated, tried again next time */
  failed: string[];
}
