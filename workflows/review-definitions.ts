/**
 * The post-incident review's messages, declared once: the incident (which opens it), the CLI, API
 * and dashboard import these.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DecisionProof } from '../domain/decision-proof';
import type { DueProgress } from '../domain/due-schedule';
import type { ReviewFinding, ReviewPrefill, ReviewText, ReviewView } from '../domain/review';
import type { Severity } from '../domain/severity';
import type { DisplayPolicy } from '../domain/display';
import type { IncidentState, TimelineEntry } from '../domain/incident';

export const REVIEW_WORKFLOW = 'reviewWorkflow';

export { reviewId } from '../domain/ids';

export interface ReviewSettings {
  dueDays: Record<Severity, number>;
  reminderDays: number[];
  escalationGroup?: string;
  /** whose free text people may see: the pre-fill shows the incident as domain/display.ts does */
  display: DisplayPolicy;
}

export interface ReviewInput {
  /** the workflow id, `review/<fingerprint>` */
  id: string;
  incidentId: string;
  severity: Severity;
  resolvedAt: string;
  /** who resolved the incident: the review's owner until handed on */
  owner: string;
  /** the incident's severity level's review target (domain/severity-policy.ts); unset: `dueDays` by severity */
  due?: { level: string; within: string };
  /**
   * what the incident recorded, handed over as it resolves (a query of a closing workflow could
   * wait on it); the review keeps only what a person may see of it
   */
  incident?: { state: IncidentState; timeline: TimelineEntry[] };
  /** unset: the worker's configuration, read once when the review opens and kept */
  settings?: ReviewSettings;
  carried?: CarriedReview;
}

export interface CarriedReview {
  settings: ReviewSettings;
  prefill: ReviewPrefill;
  text: ReviewText;
  findings: ReviewFinding[];
  progress: DueProgress;
  changes: ReviewView['changes'];
  usedGrants?: [string, number][];
}

interface ReviewRequest {
  proof: DecisionProof;
}

export interface EditReviewRequest extends ReviewRequest, Partial<ReviewText> {}

export interface AddFindingRequest extends ReviewRequest {
  /** the finding; it becomes a follow-up action with this owner and due date */
  text: string;
  owner: string;
  dueAt: string;
}

export type FinaliseReviewRequest = ReviewRequest;

export const reviewQuery = defineQuery<ReviewView>('review');
export const editReviewUpdate = defineUpdate<ReviewView, [EditReviewRequest]>('editReview');
export const addFindingUpdate = defineUpdate<ReviewView, [AddFindingRequest]>('addFinding');
export const finaliseReviewUpdate = defineUpdate<ReviewView, [FinaliseReviewRequest]>('finaliseReview');
