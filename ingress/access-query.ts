/**
 * The read model of break-glass grants, one for the CLI, the dashboard, Slack and the
 * reconciliation: every grant workflow still running, as its status query tells it.
 */
import type { Client } from '@temporalio/client';
import { timeLeft } from '../domain/access';
import { ACCESS_GRANT_WORKFLOW, accessStatusQuery, type AccessGrantView } from '../workflows/access/definitions';

export async function listOpenGrants(client: Client, limit = 500): Promise<AccessGrantView[]> {
  const views: AccessGrantView[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${ACCESS_GRANT_WORKFLOW}' AND ExecutionStatus = 'Running'` })) {
    try {
      views.push(await client.workflow.getHandle(wf.workflowId).query(accessStatusQuery));
    } catch {
      // ended between the listing and the query
    }
    if (views.length >= limit) break;
  }
  return views.sort((a, b) => (a.expiresAt ?? a.asOf).localeCompare(b.expiresAt ?? b.asOf));
}

/** One line per grant, for `access list` and Slack: who holds what, until when, how long is left. */
export function describeGrantLine(v: AccessGrantView, nowMs = Date.now()): string {
  const left = v.status === 'active' ? `${timeLeft(v.expiresAt, nowMs)} left (until ${v.expiresAt})` : v.status === 'requested' ? `awaiting ${v.approvers} approval(s) from ${v.approverGroup}` : v.status;
  return `${v.requestId}  ${v.profile} → ${v.requester}  ${v.status}  ${left}${v.incidentId ? `  ${v.incidentId}` : ''}`;
}
