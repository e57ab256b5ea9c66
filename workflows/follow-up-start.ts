/**
 * How a workflow starts a follow-up action: as a child that outlives it (parent-close policy
 * ABANDON: finishing a review or a drill must never drop what it asked people to do). The id is
 * the origin's and the key's (domain/ids.ts), so a retried start finds the follow-up it started.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { followUpId } from '../domain/ids';
import type { followUpWorkflow } from './follow-up';
import { FOLLOW_UP_WORKFLOW, type FollowUpInput } from './follow-up-definitions';

export type FollowUpStart = Omit<FollowUpInput, 'id' | 'carried'> & { key: string };

/** Starts the follow-up; returns its id (also when it was already running). */
export async function startFollowUp({ key, ...fields }: FollowUpStart): Promise<string> {
  const id = followUpId(fields.origin, key);
  try {
    await startChild<typeof followUpWorkflow>(FOLLOW_UP_WORKFLOW, { workflowId: id, args: [{ id, ...fields }], parentClosePolicy: ParentClosePolicy.ABANDON });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return id;
}
