import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import { stateQuery } from '../workflows/definitions';
import { classify } from './errors';
import type { Notifier } from './notifier';

/**
 * What the retirement of a replaced KMS key needs besides AWS: who may approve its deletion (as
 * configured now, not when the retirement began), who asked for the incident, and a way to tell
 * the responders. None of it needs the incident to be running.
 */
export function createKeyRetirementActivities(deps: { approverGroups: Record<string, string[]>; notifier: Notifier }) {
  return {
    async keyDeletionApprovers(input: { group: string }): Promise<string[]> {
      return deps.approverGroups[input.group] ?? [];
    },

    async announceKeyRetirement(input: { incidentId: string; text: string }): Promise<void> {
      await deps.notifier.post(input.incidentId, input.text);
    },

    /** Read while the incident runs (the rotation is its child); null when there is no such incident. */
    async incidentRequester(input: { incidentId: string }): Promise<string | null> {
      try {
        const state = await Context.current().client.workflow.getHandle(input.incidentId).query(stateQuery);
        return state.requester;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) return null;
        classify(err, `query incident ${input.incidentId}`);
      }
    },
  };
}

export type KeyRetirementActivities = ReturnType<typeof createKeyRetirementActivities>;
