import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AccessSettings } from '../platform/access-config';
import { isTerminal } from '../domain/incident';
import { listOpenGrants } from '../ingress/read-model';
import { stateQuery } from '../workflows/definitions';
import type { AccessGrantView } from '../workflows/access/definitions';
import type { Notifier } from './notifier';

/** Who may hold break-glass access now, as the worker's configuration says. */
export interface AccessHolders {
  /** the person is still configured (in `people` or named in a group) */
  known(person: string): boolean;
  /** the person's groups now */
  groupsOf(person: string): string[];
  /** the groups `authority.access.request` allows, or ['*'] */
  requestGroups: string[];
}

export interface AccessActivityDeps {
  access: AccessSettings;
  accessHolders: AccessHolders;
  notifier: Notifier;
}

/** The channel notices go to when a grant serves no incident. */
export const ACCESS_NOTICES = 'break-glass';

/**
 * What break-glass grants ask of the world besides AWS: is the incident still open, is the holder
 * still one (offboarding), which grants are open (reconciliation), and telling people.
 */
export function createAccessRuntimeActivities(deps: AccessActivityDeps) {
  return {
    async accessHolderCheck(input: { person: string; holderGroup?: string; incidentId?: string }): Promise<{ holder: boolean; incidentOpen: boolean }> {
      const groups = deps.accessHolders.groupsOf(input.person);
      const allowed = input.holderGroup ? [input.holderGroup] : deps.accessHolders.requestGroups;
      const holder = deps.accessHolders.known(input.person) && (allowed.includes('*') || allowed.some((g) => groups.includes(g)));
      let incidentOpen = false;
      if (input.incidentId) {
        const handle = Context.current().client.workflow.getHandle(input.incidentId);
        try {
          const described = await handle.describe();
          incidentOpen = described.status.name === 'RUNNING' && !isTerminal((await handle.query(stateQuery)).status);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return { holder, incidentOpen };
    },

    async openAccessGrants(): Promise<{ grants: AccessGrantView[] }> {
      return { grants: await listOpenGrants(Context.current().client) };
    },

    async accessProfiles(): Promise<{ profiles: AccessSettings['profiles'] }> {
      return { profiles: deps.access.profiles };
    },

    async announceAccess(input: { incidentId?: string; text: string }): Promise<void> {
      await deps.notifier.post(input.incidentId ?? ACCESS_NOTICES, input.text);
    },

    async escalateAccess(input: { incidentId?: string; group: string; message: string }): Promise<void> {
      await deps.notifier.escalate({ incidentId: input.incidentId ?? ACCESS_NOTICES, group: input.group, message: input.message });
    },
  };
}
