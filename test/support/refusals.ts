import { WorkflowUpdateFailedError } from '@temporalio/client';

/** Why the workflow refused an update: its validator's message; fails the test if it was accepted. */
export async function updateRefusal(update: Promise<unknown>): Promise<string> {
  try {
    await update;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return String((err as WorkflowUpdateFailedError).cause?.message);
  }
  throw new Error('the update was accepted');
}
