/**
 * Open breach-notification clocks, through Temporal visibility (the clock keeps its next deadline
 * and status as search attributes), soonest deadline first. One function for the CLI
 * (`tourniquet clocks`), Slack (`/ir clocks`) and the dashboard, so they cannot disagree.
 */
import type { Client } from '@temporalio/client';
import {
  BREACH_CLOCK_WORKFLOW,
  clockDiscoveryYearKey,
  clockNextDeadlineKey,
  clockQuery,
  clockStatusKey,
  type ClockView,
} from '../workflows/breach-clock-definitions';

export interface OpenClock {
  id: string;
  incidentId: string;
  status: string;
  /** ISO instant the soonest open deadline passes, if any */
  nextDeadline?: string;
  overdue: boolean;
}

function incidentOf(clockId: string): string {
  return `incident/${clockId.replace(/^breach-clock\//, '')}`;
}

export async function listOpenClocks(client: Client, now: number = Date.now()): Promise<OpenClock[]> {
  const rows: OpenClock[] = [];
  const query = `WorkflowType = '${BREACH_CLOCK_WORKFLOW}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) {
    const next = wf.typedSearchAttributes.get(clockNextDeadlineKey);
    const status = wf.typedSearchAttributes.get(clockStatusKey) ?? 'open';
    rows.push({
      id: wf.workflowId,
      incidentId: incidentOf(wf.workflowId),
      status,
      ...(next ? { nextDeadline: next.toISOString() } : {}),
      overdue: status === 'overdue' || (next !== undefined && next.getTime() <= now),
    });
  }
  // Soonest first; a clock without a deadline yet goes last.
  return rows.sort((a, b) => (a.nextDeadline ?? '~').localeCompare(b.nextDeadline ?? '~') || a.id.localeCompare(b.id));
}

/**
 * Every clock whose discovery fell in `year`, open or closed, with its current view: a running
 * clock answers a query, a closed one is read from its result (no worker needed).
 */
export async function clocksOfYear(client: Client, year: number): Promise<ClockView[]> {
  const views: ClockView[] = [];
  const query = `WorkflowType = '${BREACH_CLOCK_WORKFLOW}' AND ${clockDiscoveryYearKey.name} = ${Math.trunc(year)}`;
  const seen = new Set<string>();
  for await (const wf of client.workflow.list({ query })) {
    if (seen.has(wf.workflowId)) continue; // continued-as-new runs share the id
    const handle = client.workflow.getHandle(wf.workflowId);
    const described = wf.status.name === 'RUNNING' ? 'running' : wf.status.name === 'COMPLETED' ? 'completed' : 'other';
    if (described === 'other') continue;
    seen.add(wf.workflowId);
    views.push(described === 'running' ? await handle.query(clockQuery) : ((await handle.result()) as ClockView));
  }
  return views.sort((a, b) => a.discoveryDate.localeCompare(b.discoveryDate) || a.id.localeCompare(b.id));
}
