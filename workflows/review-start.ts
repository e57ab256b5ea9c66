/**
 * How a resolved incident opens its post-incident review: a child that outlives it (parent-close
 * policy ABANDON), `review/<fingerprint>`.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { reviewId } from '../domain/ids';
import type { reviewWorkflow } from './review';
import { REVIEW_WORKFLOW, type ReviewInput } from './review-definitions';

/** Opens the review; returns a line for the incident timeline. */
export async function startReview(fields: Omit<ReviewInput, 'id' | 'carried' | 'settings'>): Promise<string> {
  const id = reviewId(fields.incidentId);
  try {
    await startChild<typeof reviewWorkflow>(REVIEW_WORKFLOW, { workflowId: id, args: [{ id, ...fields }], parentClosePolicy: ParentClosePolicy.ABANDON });
    return `post-incident review ${id} opened (owner ${fields.owner})`;
  } catch (err) {
    // An earlier incident with the same fingerprint still has its review open: the findings go there.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return `post-incident review ${id} already open`;
    throw err;
  }
}
