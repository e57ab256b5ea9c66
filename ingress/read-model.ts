/**
 * The read model of incidents and breach clocks, for every client: the CLI (`tourniquet
 * incidents`, `clocks`), Slack (`/ir status`, `/ir clocks`) and the dashboard. Temporal visibility
 * with the typed search-attribute keys the workflows set, and the workflows' own queries; one
 * place, so the three cannot disagree.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { EXERCISE_ID_PREFIX, incidentOfClock } from '../domain/ids';
import type { IncidentStatus } from '../domain/incident';
import {
  BREACH_CLOCK_WORKFLOW,
  clockDiscoveryYearKey,
  clockNextDeadlineKey,
  clockQuery,
  clockStatusKey,
  type ClockView,
} from '../workflows/breach-clock-definitions';
import { INCIDENT_WORKFLOW, incidentRunbookKey, incidentSeverityKey, incidentStatusKey } from '../workflows/definitions';

/** Real listings, counts and metrics never include drills. */
const NOT_EXERCISE = ` AND WorkflowId NOT STARTS_WITH '${EXERCISE_ID_PREFIX}'`;

/** The visibility queries, by what they select. */
export const visibility = {
  incidents: (all = false) => `WorkflowType = '${INCIDENT_WORKFLOW}'${NOT_EXERCISE}${all ? '' : " AND ExecutionStatus = 'Running'"}`,
  incidentsClosedSince: (iso: string) => `WorkflowType = '${INCIDENT_WORKFLOW}'${NOT_EXERCISE} AND ExecutionStatus = 'Completed' AND CloseTime > '${iso}'`,
  /** A continued-as-new run is the same incident as its successor: count each once. */
  incidentsWithStatus: (status: IncidentStatus) =>
    `WorkflowType = '${INCIDENT_WORKFLOW}'${NOT_EXERCISE} AND ${incidentStatusKey.name} = '${status}' AND ExecutionStatus != 'ContinuedAsNew'`,
  /** Drills, by the id prefix every exercise carries (domain/ids.ts). */
  exercises: () => `WorkflowType = '${INCIDENT_WORKFLOW}' AND WorkflowId STARTS_WITH '${EXERCISE_ID_PREFIX}'`,
  openClocks: () => `WorkflowType = '${BREACH_CLOCK_WORKFLOW}' AND ExecutionStatus = 'Running'`,
  clocksOfYear: (year: number) => `WorkflowType = '${BREACH_CLOCK_WORKFLOW}' AND ${clockDiscoveryYearKey.name} = ${Math.trunc(year)}`,
};

/** An incident as visibility lists it (no query to its worker). */
export interface IncidentSummary {
  id: string;
  runId: string;
  /** undefined until the incident first sets it */
  status?: string;
  severity?: string;
  runbook?: string;
  startTime: string;
  closed: boolean;
}

export function incidentSummaryOf(wf: WorkflowExecutionInfo): IncidentSummary {
  const attrs = wf.typedSearchAttributes;
  return {
    id: wf.workflowId,
    runId: wf.runId,
    status: attrs.get(incidentStatusKey),
    severity: attrs.get(incidentSeverityKey),
    runbook: attrs.get(incidentRunbookKey),
    startTime: wf.startTime.toISOString(),
    closed: wf.status.name !== 'RUNNING',
  };
}

/** Workflows a visibility query selects, up to `limit`. */
export async function listWorkflows(client: Client, query: string, limit = Number.POSITIVE_INFINITY): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  if (limit <= 0) return found;
  for await (const wf of client.workflow.list({ query })) {
    found.push(wf);
    if (found.length >= limit) break;
  }
  return found;
}

/** Running incidents (or every run with `all`), in visibility's order (newest first). */
export async function listIncidents(client: Client, { all = false, limit = Number.POSITIVE_INFINITY } = {}): Promise<IncidentSummary[]> {
  // Drills are real workflows but never real incidents: listings leave them out (see `drill`).
  return (await listWorkflows(client, visibility.incidents(all), limit)).map(incidentSummaryOf);
}

export interface OpenClock {
  id: string;
  incidentId: string;
  status: string;
  /** ISO instant the soonest open deadline passes, if any */
  nextDeadline?: string;
  overdue: boolean;
}

/** Open breach-notification clocks (the clock keeps its next deadline and status as search attributes), soonest deadline first. */
export async function listOpenClocks(client: Client, now: number = Date.now()): Promise<OpenClock[]> {
  const rows: OpenClock[] = [];
  for await (const wf of client.workflow.list({ query: visibility.openClocks() })) {
    const next = wf.typedSearchAttributes.get(clockNextDeadlineKey);
    const status = wf.typedSearchAttributes.get(clockStatusKey) ?? 'open';
    rows.push({
      id: wf.workflowId,
      incidentId: incidentOfClock(wf.workflowId),
      status,
      ...(next ? { nextDeadline: next.toISOString() } : {}),
      overdue: status === 'overdue' || (next !== undefined && next.getTime() <= now),
    });
  }
  // Soonest first; a clock without a deadline yet goes last.
  return rows.sort((a, b) => (a.nextDeadline ?? '~').localeCompare(b.nextDeadline ?? '~') || a.id.localeCompare(b.id));
}

/** A running clock's view, by its `clock` query; `unknown` because a clock of another version may answer. */
export function queryClock(client: Client, wf: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId'>): Promise<unknown> {
  return client.workflow.getHandle(wf.workflowId, wf.runId).query<unknown>(clockQuery.name);
}

/**
 * Every clock whose discovery fell in `year`, open or closed, with its current view: a running
 * clock answers a query, a closed one is read from its result (no worker needed).
 */
export async function clocksOfYear(client: Client, year: number): Promise<ClockView[]> {
  const views: ClockView[] = [];
  const seen = new Set<string>();
  for await (const wf of client.workflow.list({ query: visibility.clocksOfYear(year) })) {
    if (seen.has(wf.workflowId)) continue; // continued-as-new runs share the id
    const handle = client.workflow.getHandle(wf.workflowId);
    const described = wf.status.name === 'RUNNING' ? 'running' : wf.status.name === 'COMPLETED' ? 'completed' : 'other';
    if (described === 'other') continue;
    seen.add(wf.workflowId);
    views.push(described === 'running' ? await handle.query(clockQuery) : ((await handle.result()) as ClockView));
  }
  return views.sort((a, b) => a.discoveryDate.localeCompare(b.discoveryDate) || a.id.localeCompare(b.id));
}
