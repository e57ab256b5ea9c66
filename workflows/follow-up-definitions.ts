/**
 * The follow-up workflow's messages, declared once: whatever starts follow-ups (a review, a drill,
 * a dependency runbook) and the CLI, API and dashboard import these.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DecisionProof } from '../domain/decision-proof';
import type { DueProgress } from '../domain/due-schedule';
import type { FollowUpClosure, FollowUpView } from '../domain/follow-up';

export const FOLLOW_UP_WORKFLOW = 'followUpWorkflow';

export { followUpId } from '../domain/ids';

export interface FollowUpSettings {
  /** remind the owner this many days before the due date */
  reminderDays: number[];
  /** told when a follow-up is overdue (every day until it is closed); unset: the channel */
  escalationGroup?: string;
}

export interface FollowUpInput {
  /** the workflow id, `follow-up/<origin>/<key>` (domain/ids.ts followUpId) */
  id: string;
  /** the workflow id the follow-up came from */
  origin: string;
  title: string;
  /** a person id (people in configuration, or a Slack user id) */
  owner: string;
  /** ISO date (due at the end of that day, UTC) or instant */
  dueAt: string;
  /** who created it (the verified person of the finding) */
  createdBy: string;
  /** unset: the worker's configuration, read once when the follow-up starts and kept */
  settings?: FollowUpSettings;
  carried?: CarriedFollowUp;
}

export interface CarriedFollowUp {
  settings: FollowUpSettings;
  owner: string;
  dueAt: string;
  since: number;
  progress: DueProgress;
  remindersSent: number;
  changes: FollowUpView['changes'];
  usedGrants?: [string, number][];
}

interface FollowUpRequest {
  proof: DecisionProof;
  reason: string;
}

export interface ReassignRequest extends FollowUpRequest {
  owner: string;
}

export interface RescheduleRequest extends FollowUpRequest {
  dueAt: string;
}

export interface CloseFollowUpRequest extends Pick<FollowUpClosure, 'evidence' | 'note'> {
  proof: DecisionProof;
}

export const followUpQuery = defineQuery<FollowUpView>('followUp');
export const reassignFollowUpUpdate = defineUpdate<FollowUpView, [ReassignRequest]>('reassignFollowUp');
export const rescheduleFollowUpUpdate = defineUpdate<FollowUpView, [RescheduleRequest]>('rescheduleFollowUp');
export const closeFollowUpUpdate = defineUpdate<FollowUpView, [CloseFollowUpRequest]>('closeFollowUp');

/** Kept current, so open and overdue follow-ups are a visibility query. */
export const followUpStatusKey = defineSearchAttributeKey('TourniquetFollowUpStatus', SearchAttributeType.KEYWORD);
export const followUpDueKey = defineSearchAttributeKey('TourniquetFollowUpDue', SearchAttributeType.DATETIME);
export const followUpOwnerKey = defineSearchAttributeKey('TourniquetFollowUpOwner', SearchAttributeType.KEYWORD);
export const FOLLOW_UP_SEARCH_ATTRIBUTE_KEYS = [followUpStatusKey, followUpDueKey, followUpOwnerKey];
