/**
 * The incident workflow's messages, declared once: ingress, Slack, CLI and dashboard import these,
 * so names and payload types cannot drift. Imports only @temporalio/workflow and domain types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { PinnedRunbook } from '../domain/runbook';
import type { Alert } from '../domain/alert';
import type { IncidentState, TimelineEntry } from '../domain/incident';
import type { DecisionProof } from '../domain/decision-proof';

export const INCIDENT_WORKFLOW = 'incidentWorkflow';

export interface IncidentInput {
  /** the workflow id, `incident/<fingerprint>` */
  id: string;
  /** who asked: a user for manual incidents, `alert:<source>` otherwise */
  requester: string;
  /** set when continuing as new: everything the previous run knew */
  carried?: CarriedIncident;
  /** continue as new past this many history events (the server's own suggestion also counts) */
  historyLimit?: number;
}

export interface CarriedIncident {
  state: IncidentState;
  timeline: TimelineEntry[];
  seenDeliveries: string[];
  approverGroups: Record<string, string[]>;
  pinned?: PinnedRunbook;
  /** telling failures already recorded (each distinct one is recorded once) */
  toldFailures?: string[];
  /** an incident message update still owed to Slack */
  announcePending?: boolean;
  /** decision grants already spent (a replayed grant is refused across continue-as-new too) */
  usedGrants?: [string, number][];
}

/**
 * A person's request: the ingress's signed grant for exactly this decision (domain/decision-proof.ts).
 * The actor recorded is the grant's verified person; nobody names themselves.
 */
export interface Actor {
  proof: DecisionProof;
  /** requests recorded before decision proofs named their actor; never accepted anew */
  by?: string;
}

export interface ResolveRequest extends Actor {
  reason: string;
}

export interface NoteRequest extends Actor {
  text: string;
}

/** A role assigned or handed over (domain/roles.ts); the grant binds the role and the person. */
export interface RoleRequest extends Actor {
  role: string;
  person: string;
  reason?: string;
}

export interface ApprovalRequest extends Actor {
  stepId: string;
  justification: string;
  /** the plan hash the approver was shown; a stale one is rejected */
  planHash?: string;
}

/** A person's decision on a failed step that halted the runbook. */
export interface StepActionRequest extends Actor {
  stepId: string;
  reason: string;
}

/**
 * Sent by the undo workflow once a step's compensation ran: the step is `compensated`. It forwards
 * the grant it was started with; without a valid one the signal is ignored and recorded.
 */
export interface CompensationReport {
  proof?: DecisionProof;
  /** reports from before decision proofs */
  by?: string;
  stepId: string;
  reason: string;
  /** what the undo did (PHI-free) */
  summary: string;
  /** ledger ids of the AWS writes the undo made */
  writes?: string[];
}

/** Every alert is delivered by signalWithStart; a repeated delivery id is ignored. */
export const alertSignal = defineSignal<[Alert]>('alert');

export const stateQuery = defineQuery<IncidentState>('state');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');

export const acknowledgeUpdate = defineUpdate<IncidentState, [Actor]>('acknowledge');
export const resolveUpdate = defineUpdate<IncidentState, [ResolveRequest]>('resolve');
/** Close an incident where nothing was changed (a false positive, a triage with nothing to do). */
export const closeNoActionUpdate = defineUpdate<IncidentState, [ResolveRequest]>('closeNoAction');
/** Run a failed step again (with a fresh plan and approval when it is gated). */
export const retryStepUpdate = defineUpdate<IncidentState, [StepActionRequest]>('retryStep');
/** Go on without a failed step. */
export const skipStepUpdate = defineUpdate<IncidentState, [StepActionRequest]>('skipStep');
export const stepCompensatedSignal = defineSignal<[CompensationReport]>('stepCompensated');
export const addNoteUpdate = defineUpdate<number, [NoteRequest]>('addNote');
export const assignRoleUpdate = defineUpdate<IncidentState, [RoleRequest]>('assignRole');
export const approveUpdate = defineUpdate<IncidentState, [ApprovalRequest]>('approve');
export const denyUpdate = defineUpdate<IncidentState, [ApprovalRequest]>('deny');

/** Search attributes the incident keeps current, so listing uses Temporal visibility. */
export const incidentStatusKey = defineSearchAttributeKey('TourniquetStatus', SearchAttributeType.KEYWORD);
export const incidentSeverityKey = defineSearchAttributeKey('TourniquetSeverity', SearchAttributeType.KEYWORD);
export const incidentRunbookKey = defineSearchAttributeKey('TourniquetRunbook', SearchAttributeType.KEYWORD);
export const INCIDENT_SEARCH_ATTRIBUTE_KEYS = [incidentStatusKey, incidentSeverityKey, incidentRunbookKey];
