import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { IncidentState, IncidentStatus, StepState } from '../../domain/incident';
import { INCIDENT_STATUSES } from '../../domain/incident';
import { displayState, WITHHOLD_FREE_TEXT, type DisplayPolicy } from '../../domain/display';
import { followUpOf, incidentOfOrigin, isExerciseId } from '../../domain/ids';
import { stateQuery } from '../../workflows/definitions';
import { followUpStatusKey } from '../../workflows/follow-up-definitions';
import { listOpenGrants, listWorkflows, queryClock, visibility } from '../read-model';
import { incidentTimes, type IncidentTimes } from '../../domain/mttx';
import { isContainmentStep } from '../mttx-query';

/** What the dashboard and /metrics show, read from Temporal in one go and shared while fresh. */
export interface Snapshot {
  takenAt: string;
  /** running incidents, newest first */
  open: IncidentRow[];
  /** incidents closed within the chart window, newest first */
  closed: IncidentRow[];
  /** visibility counts by incident status, open and closed */
  byStatus: Record<IncidentStatus, number>;
  clocks: ClockRow[];
  /** open break-glass requests and grants: who holds what, until when (no reasons: free text) */
  access: AccessRow[];
  /** post-incident reviews and their follow-up actions, per incident, from visibility alone */
  reviews: ReviewRow[];
}

export interface ReviewRow {
  incidentId: string;
  /** open: being written; finalised: stored as evidence; none: the incident has no review (yet) */
  review: 'open' | 'finalised' | 'none';
  followUps: { open: number; overdue: number; closed: number };
}

export interface AccessRow {
  id: string;
  profile: string;
  holder: string;
  status: string;
  expiresAt?: string;
  incidentId?: string;
}

export interface PendingApproval {
  stepId: string;
  stepType: string;
  approvals: string[];
  plan: string[];
}

export interface IncidentRow {
  id: string;
  title: string;
  severity: string;
  status: IncidentStatus;
  runbook?: string;
  openedAt: string;
  firstObservedAt: string;
  containedAt?: string;
  resolvedAt?: string;
  alertCount: number;
  escalated: boolean;
  acknowledgedBy?: string;
  /** the step the runbook halted at (failed, waiting for a person to retry or skip it) */
  halted?: string;
  /** who holds each incident role */
  roles: Record<string, string>;
  steps: Pick<StepState, 'id' | 'type' | 'status' | 'startedAt' | 'finishedAt'>[];
  pendingApprovals: PendingApproval[];
  /** response times (domain/mttx.ts) */
  times: IncidentTimes;
}

export interface Obligation {
  name: string;
  /** the instant the deadline passes (for the countdown) */
  dueAt: string;
  /** the deadline as the rule states it: the last calendar day (what `clocks show` prints) */
  deadline?: string;
  done: boolean;
}

export interface ClockRow {
  id: string;
  incidentId?: string;
  /** the incident's title as people may see it */
  title?: string;
  obligations: Obligation[];
}

/** How far back closed incidents count for the MTTD/MTTC/MTTR charts. */
const CHART_WINDOW_DAYS = 30;
const MAX_CLOSED = 500;
const QUERIES_IN_FLIGHT = 8;

/** A row of the dashboard: the incident as domain/display.ts shows it (free text withheld unless allowed). */
export function toRow(incident: IncidentState, policy: DisplayPolicy = WITHHOLD_FREE_TEXT): IncidentRow {
  const state = displayState(incident, policy);
  const halted = state.steps.find((s) => s.halted)?.id;
  return {
    id: state.id,
    title: state.title,
    severity: state.severity,
    status: state.status,
    runbook: state.runbook?.id,
    openedAt: state.openedAt,
    firstObservedAt: state.firstObservedAt,
    containedAt: state.containedAt,
    resolvedAt: state.resolvedAt,
    alertCount: state.alertCount,
    escalated: state.escalated,
    acknowledgedBy: state.acknowledgedBy,
    ...(halted ? { halted } : {}),
    roles: Object.fromEntries(Object.entries(state.roles ?? {}).map(([role, holder]) => [role, holder.person])),
    steps: state.steps.map(({ id, type, status, startedAt, finishedAt }) => ({ id, type, status, startedAt, finishedAt })),
    times: incidentTimes(incident, isContainmentStep),
    pendingApprovals: state.steps
      .filter((s) => s.status === 'awaiting-approval')
      .map((s) => ({
        stepId: s.id,
        stepType: s.type,
        approvals: s.approvals.filter((a) => a.decision === 'approve').map((a) => a.by),
        plan: s.plan ?? [],
      })),
  };
}

/**
 * Breach clocks (workflows/breach-clock.ts) answer the `clock` query with a ClockView. It is read
 * by shape rather than by type import, so the dashboard keeps working with clocks started by an
 * older or newer worker: anything unreadable shows as a clock without obligations.
 */
const ClockViewShape = z
  .object({
    incidentId: z.string().optional(),
    status: z.string().optional(),
    obligations: z
      .array(
        z
          .object({
            id: z.string(),
            notifies: z.string().optional(),
            rule: z.string().optional(),
            dueAt: z.union([z.number(), z.string()]),
            deadline: z.string().optional(),
            status: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

const DONE = new Set(['sent', 'not-required']);

export function clockRow(id: string, view: unknown): ClockRow {
  const parsed = ClockViewShape.safeParse(view);
  if (!parsed.success) return { id, obligations: [] };
  return {
    id,
    incidentId: parsed.data.incidentId,
    obligations: parsed.data.obligations.map((o) => ({
      name: o.notifies ? `${o.notifies} (${o.rule ?? o.id})` : o.id,
      dueAt: new Date(o.dueAt).toISOString(),
      ...(o.deadline ? { deadline: o.deadline } : {}),
      done: DONE.has(o.status ?? ''),
    })),
  };
}

async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += QUERIES_IN_FLIGHT) {
    out.push(...(await Promise.all(items.slice(i, i + QUERIES_IN_FLIGHT).map(work))));
  }
  return out;
}

/** Reads Temporal: visibility for the lists and counts, queries for open incidents, results for closed ones. */
export class SnapshotReader {
  private cached?: { at: number; value: Promise<Snapshot> };
  /** a closed incident's result never changes: keep it by run id */
  private readonly closedResults = new Map<string, IncidentRow>();

  constructor(
    private readonly client: Client,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    /** whose free text the dashboard may show (masked) */
    readonly policy: DisplayPolicy = WITHHOLD_FREE_TEXT,
  ) {}

  /** The current snapshot; concurrent callers within maxAge share one read. */
  snapshot(): Promise<Snapshot> {
    const at = this.now();
    if (!this.cached || at - this.cached.at >= this.maxAgeMs) {
      const value = this.read();
      this.cached = { at, value };
      value.catch(() => {
        if (this.cached?.value === value) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  private async read(): Promise<Snapshot> {
    const since = new Date(this.now() - CHART_WINDOW_DAYS * 86_400_000).toISOString();
    const [running, closedInfos, counts, clockInfos] = await Promise.all([
      listWorkflows(this.client, visibility.incidents()),
      listWorkflows(this.client, visibility.incidentsClosedSince(since), MAX_CLOSED),
      Promise.all(
        INCIDENT_STATUSES.map(async (status) => {
          const { count } = await this.client.workflow.count(visibility.incidentsWithStatus(status));
          return [status, count] as const;
        }),
      ),
      listWorkflows(this.client, visibility.openClocks()),
    ]);
    const open = await inBatches(running, async (wf) => {
      try {
        return toRow(await this.client.workflow.getHandle(wf.workflowId, wf.runId).query(stateQuery), this.policy);
      } catch {
        return undefined; // closed between list and query, or its worker is down: the next read sees it
      }
    });
    const closed = await inBatches(closedInfos, async (wf) => {
      const known = this.closedResults.get(wf.runId);
      if (known) return known;
      try {
        const row = toRow((await this.client.workflow.getHandle(wf.workflowId, wf.runId).result()) as IncidentState, this.policy);
        this.closedResults.set(wf.runId, row);
        if (this.closedResults.size > MAX_CLOSED * 2) this.closedResults.delete(this.closedResults.keys().next().value!);
        return row;
      } catch {
        return undefined;
      }
    });
    const clocks = await inBatches(clockInfos, async (wf) => {
      try {
        return clockRow(wf.workflowId, await queryClock(this.client, wf));
      } catch {
        return { id: wf.workflowId, obligations: [] };
      }
    });
    const access = (await listOpenGrants(this.client).catch(() => [])).map((g) => ({
      id: g.id,
      profile: g.profile,
      holder: g.requester,
      status: g.status,
      ...(g.expiresAt ? { expiresAt: g.expiresAt } : {}),
      ...(g.incidentId ? { incidentId: g.incidentId } : {}),
    }));
    const openRows = open.filter((r): r is IncidentRow => r !== undefined).sort((a, b) => b.openedAt.localeCompare(a.openedAt));
    const closedRows = closed.filter((r): r is IncidentRow => r !== undefined).sort((a, b) => b.openedAt.localeCompare(a.openedAt));
    const titles = new Map([...closedRows, ...openRows].map((r) => [r.id, r.title]));
    return {
      takenAt: new Date(this.now()).toISOString(),
      open: openRows,
      closed: closedRows,
      byStatus: Object.fromEntries(counts) as Record<IncidentStatus, number>,
      clocks: clocks.map((c) => (c.incidentId && titles.has(c.incidentId) ? { ...c, title: titles.get(c.incidentId)! } : c)),
      access,
      reviews: await this.reviews().catch(() => []),
    };
  }

  /** Reviews and follow-ups by incident: workflow status and search attributes only, no queries. */
  private async reviews(): Promise<ReviewRow[]> {
    const [reviews, followUps] = await Promise.all([
      listWorkflows(this.client, visibility.reviews(), MAX_CLOSED),
      listWorkflows(this.client, visibility.followUps(), MAX_CLOSED * 4),
    ]);
    const rows = new Map<string, ReviewRow>();
    // Drills have their own record (tourniquet drill status): never on the dashboard.
    const rowOf = (incidentId: string) => {
      let row = rows.get(incidentId);
      if (!row) rows.set(incidentId, (row = { incidentId, review: 'none', followUps: { open: 0, overdue: 0, closed: 0 } }));
      return row;
    };
    for (const wf of reviews) {
      const incidentId = incidentOfOrigin(wf.workflowId);
      if (incidentId && !isExerciseId(incidentId)) rowOf(incidentId).review = wf.status.name === 'RUNNING' ? 'open' : 'finalised';
    }
    for (const wf of followUps) {
      const incidentId = incidentOfOrigin(followUpOf(wf.workflowId)?.origin ?? '');
      if (!incidentId || isExerciseId(incidentId)) continue;
      const status = wf.status.name === 'RUNNING' ? (wf.typedSearchAttributes.get(followUpStatusKey) ?? 'open') : 'closed';
      const counts = rowOf(incidentId).followUps;
      if (status === 'overdue') counts.overdue += 1;
      else if (status === 'closed') counts.closed += 1;
      else counts.open += 1;
    }
    return [...rows.values()].sort((a, b) => a.incidentId.localeCompare(b.incidentId));
  }
}

/** One point per incident: when it opened, and its MTTD / MTTC / MTTR in minutes (null if not reached). */
export interface ResponseTimes {
  openedAt: number[];
  mttd: (number | null)[];
  mttc: (number | null)[];
  mttr: (number | null)[];
}

export function responseTimes(rows: IncidentRow[]): ResponseTimes {
  const sorted = [...rows].sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  const minutes = (from: string, to?: string) => (to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 60_000) : null);
  return {
    openedAt: sorted.map((r) => Math.floor(Date.parse(r.openedAt) / 1000)),
    mttd: sorted.map((r) => minutes(r.firstObservedAt, r.openedAt)),
    mttc: sorted.map((r) => minutes(r.openedAt, r.containedAt)),
    // As the MTTx figures count it: to recovery where the runbook recovers, else to resolution.
    mttr: sorted.map((r) => (r.times.mttr === undefined ? null : r.times.mttr / 60)),
  };
}
