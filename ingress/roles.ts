/**
 * Assigning or handing over an incident role, once for every ingress (`POST /incidents/:id/roles`,
 * `/ir role`): the role checked against configuration and the person against the directory, the
 * `role.assign` authority decided, then the incident's `assignRole` update (which records it).
 */
import type { Client } from '@temporalio/client';
import { roleSubject } from '../domain/decision-subjects';
import type { IncidentState } from '../domain/incident';
import { rejectRoleAssignment } from '../domain/roles';
import { assignRoleUpdate } from '../workflows/definitions';
import type { Decider } from './decisions';
import { HttpError } from './errors';
import type { Operator } from './identity/operator';

export interface RoleAssignment {
  role: string;
  /** a person of the directory (or, from Slack, the Slack user mentioned) */
  person: string;
  reason?: string;
}

export async function assignRole(deps: { client: Client; decider: Decider }, op: Operator, workflowId: string, a: RoleAssignment): Promise<IncidentState> {
  const why = rejectRoleAssignment(a.role, a.person, deps.decider.directory.roles);
  if (why) throw new HttpError(400, why);
  return deps.decider.decide(op, { action: 'role.assign', workflowId, subject: roleSubject(a.role, a.person) }, (proof) =>
    deps.client.workflow.getHandle(workflowId).executeUpdate(assignRoleUpdate, { args: [{ proof, role: a.role, person: a.person, ...(a.reason ? { reason: a.reason } : {}) }] }),
  );
}
