/**
 * The read model of incidents, breach clocks and break-glass grants, for every client: the CLI
 * (`tourniquet incidents`, `clocks`, `access list`), Slack (`/ir status`, `/ir clocks`), the
 * dashboard, and the grants' reconciliation. Temporal visibility
 * with the typed search-attribute keys the workflows set, and the workflows' own queries; one
 * place, so the three cannot disagree.
 */
import { QueryNotRegisteredError, WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { timeLeft } from '../domain/access';
import { breachClockId, EXERCISE_ID_PREFIX, incidentOfClock } from '../domain/ids';
import type { IncidentStatus } from '../domain/incident';
import {
  BREACH_CLOCK_WORKFLOW,
  clockDiscoveryYearKey,
  clockNextDeadlineKey,
  clockQuery,
  clockStatusKey,
  type ClockView,
} from '../workflows/breach-clock-definitions';
import { ACCESS_GRANT_WORKFLOW, accessStatusQuery, type AccessGrantView } from '../workflows/access/definitions';
import { INCIDENT_WORKFLOW, incidentRunbookKey, incidentSeverityKey, incidentStatusKey } from '../workflows/definitions';
import { FOLLOW_UP_WORKFLOW } from '../workflows/follow-up-definitions';
import { REVIEW_WORKFLOW } from '../workflows/review-definitions';

/** Real listings, counts and metrics never include drills. */
const NOT_EXERCISE = ` AND WorkflowId NOT STARTS_WITH '${EXERCISE_ID_PREFIX}'`;
const NOT_EXERCISE_CLOCK = ` AND WorkflowId NOT STARTS_WITH '${breachClockId(EXERCISE_ID_PREFIX)}'`;

/** The visibility queries, by what they select. */
export const visibility = {
  incidents: (all = false) => `WorkflowType = '${INCIDENT_WORKFLOW}'${NOT_EXERCISE}${all ? '' : " AND ExecutionStatus = 'Running'"}`,
  incidentsClosedSince: (iso: string) => `WorkflowType = '${INCIDENT_WORKFLOW}'${NOT_EXERCISE} AND ExecutionStatus = 'Completed' AND CloseTime > '${iso}'`,
  /** A continued-as-new run is the same incident as its successor: count each once. */
  incidentsWithStatus: (status: IncidentStatus) =>
    `WorkflowType = '${INCIDENT_WORKFLOW}'${NOT_EXERCISE} AND ${incidentStatusKey.name} = '${status}' AND ExecutionStatus != 'ContinuedAsNew'`,
  /** Every run of every incident started since `iso` (or ever), open or closed. */
  incidentsStartedSince: (iso?: string) => `WorkflowType = '${INCIDENT_WORKFLOW}'${NOT_EXERCISE}${iso ? ` AND StartTime >= '${iso}'` : ''}`,
  /** Drills, by the id prefix every exercise carries (domain/ids.ts). */
  exercises: () => `WorkflowType = '${INCIDENT_WORKFLOW}' AND WorkflowId STARTS_WITH '${EXERCISE_ID_PREFIX}'`,
  /** Follow-ups a drill's findings started (`follow-up/incident/exercise-…/…`), not yet closed. */
  openDrillFindings: () => `WorkflowType = '${FOLLOW_UP_WORKFLOW}' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH 'follow-up/${EXERCISE_ID_PREFIX}'`,
  /** Real clocks only: a drill's (`breach-clock/exercise-…`) never mixes with them. */
  openClocks: () => `WorkflowType = '${BREACH_CLOCK_WORKFLOW}' AND ExecutionStatus = 'Running'${NOT_EXERCISE_CLOCK}`,
  /** Every review and follow-up; what serves a drill is told apart by the incident it names. */
  reviews: () => `WorkflowType = '${REVIEW_WORKFLOW}'`,
  followUps: () => `WorkflowType = '${FOLLOW_UP_WORKFLOW}'`,
  openGrants: () => `WorkflowType = '${ACCESS_GRANT_WORKFLOW}' AND ExecutionStatus = 'Running'`,
  clocksOfYear: (year: number) => `WorkflowType = '${BREACH_CLOCK_WORKFLOW}' AND ${clockDiscoveryYearKey.name} = ${Math.trunc(year)}${NOT_EXERCISE_CLOCK}`,
  /** Drills' clocks, by the id prefix they carry. */
  exerciseClocks: () => `WorkflowType = '${BREACH_CLOCK_WORKFLOW}' AND WorkflowId STARTS_WITH '${breachClockId(EXERCISE_ID_PREFIX)}'`,
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
 * One clock's view by its query, or an error that says why there is none. A new clock refuses its
 * query until its worker has read its settings, and a query's refusal reaches a client only as
 * "Encoded failure" (its text is encrypted like every failure), so that is told here in words;
 * as is a query no worker answered (none running, or one far behind).
 */
export async function clockView(client: Client, clockId: string): Promise<ClockView> {
  const handle = client.workflow.getHandle(clockId);
  try {
    return await handle.query(clockQuery);
  } catch (err) {
    const reason = (err as Error).message;
    if (err instanceof WorkflowNotFoundError) throw new Error(`no clock ${clockId}: ${reason}`);
    const status = await handle.describe().then(
      (d) => d.status.name.toLowerCase(),
      () => undefined,
    );
    if (status === undefined) throw new Error(`no clock ${clockId}: ${reason}`);
    if (err instanceof QueryNotRegisteredError) {
      throw new Error(`clock ${clockId} is ${status} but does not answer yet: a new clock answers once it has read its settings; try again shortly`);
    }
    throw new Error(`clock ${clockId} is ${status} but no worker answered its query (${reason}): check that a worker is running and keeping up`);
  }
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
    views.push(described === 'running' ? await clockView(client, wf.workflowId) : ((await handle.result()) as ClockView));
  }
  return views.sort((a, b) => a.discoveryDate.localeCompare(b.discoveryDate) || a.id.localeCompare(b.id));
}

/** Every break-glass grant still running, as its status query tells it, soonest expiry first. */
export async function listOpenGrants(client: Client, limit = 500): Promise<AccessGrantView[]> {
  const views: AccessGrantView[] = [];
  for await (const wf of client.workflow.list({ query: visibility.openGrants() })) {
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
