/**
 * Response times that mean something, per incident and aggregated. Per incident, from what it
 * recorded: MTTD from the earliest observed time of the activity (the alert's `observedAt`, a
 * vendor's first-seen) to detection (the incident opening), MTTA to the first acknowledgement,
 * MTTC to the first containment step that succeeded, MTTR to resolution. Aggregated per month of
 * detection or per release (the `release` or `version` label an alert carries): mean, p50, p90 and
 * count of each measure over the incidents that reached it, and every incident counted by outcome,
 * failed and no-action ones included, so a team sees release over release whether it improved.
 * Pure; percentiles are nearest-rank (p90 of 10 figures is the 9th smallest).
 */
import { isIdentifier } from './display';
import type { IncidentState, TimelineEntry } from './incident';

export const MEASURES = ['mttd', 'mtta', 'mttc', 'mttr'] as const;
export type Measure = (typeof MEASURES)[number];

/** `failed`: an incident something went wrong in (a step failed or Tourniquet faulted), however it ended. */
export type Outcome = 'open' | 'resolved' | 'no-action' | 'failed';

export interface IncidentTimes {
  id: string;
  severity: string;
  release: string;
  /** ISO instant of detection: what months are counted by */
  detectedAt: string;
  outcome: Outcome;
  /** seconds; absent when the incident has not reached it */
  mttd?: number;
  mtta?: number;
  mttc?: number;
  mttr?: number;
}

export const NO_RELEASE = 'unlabelled';

const seconds = (from: string, to: string | undefined) => (to === undefined ? undefined : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000));

/** The release an incident belongs to: the first alert's `release` (or `version`) label, if it is an identifier. */
export function releaseOf(state: Pick<IncidentState, 'alerts'>): string {
  for (const alert of state.alerts) {
    const label = alert.labels?.release ?? alert.labels?.version;
    if (label && isIdentifier(label)) return label;
  }
  return NO_RELEASE;
}

/**
 * One incident's figures. `isContainment` says which step types contain (workflows/steps.ts); the
 * timeline supplies the acknowledgement of incidents recorded before it was kept on the state.
 */
export function incidentTimes(state: IncidentState, isContainment: (stepType: string) => boolean, timeline: readonly TimelineEntry[] = []): IncidentTimes {
  const acknowledgedAt = state.acknowledgedAt ?? timeline.find((t) => t.kind === 'incident.acknowledged')?.at;
  const contained = state.steps
    .filter((s) => isContainment(s.type) && (s.status === 'succeeded' || s.status === 'compensated') && s.finishedAt)
    .map((s) => s.finishedAt!)
    .sort()[0];
  const failed = state.escalated || state.steps.some((s) => s.status === 'failed');
  const outcome: Outcome = failed ? 'failed' : state.status === 'resolved' ? 'resolved' : state.status === 'closed-no-action' ? 'no-action' : 'open';
  const figures: Partial<Record<Measure, number>> = {
    mttd: seconds(state.firstObservedAt, state.openedAt),
    mtta: seconds(state.openedAt, acknowledgedAt),
    mttc: seconds(state.openedAt, contained),
    // To recovery where the runbook recovers, else to resolution.
    mttr: state.recoveredAt ? seconds(state.openedAt, state.recoveredAt) : state.status === 'resolved' ? seconds(state.openedAt, state.resolvedAt) : undefined,
  };
  return {
    id: state.id,
    severity: state.severity,
    release: releaseOf(state),
    detectedAt: state.openedAt,
    outcome,
    ...Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)),
  };
}

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
}

export interface Group {
  key: string;
  incidents: number;
  outcomes: Record<Outcome, number>;
  /** absent when no incident of the group reached the measure */
  measures: Partial<Record<Measure, Summary>>;
}

/** Nearest rank: the smallest figure with at least q of them at or below it. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

export function summarise(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9) };
}

export type GroupBy = 'month' | 'release';

const keyOf = (t: IncidentTimes, by: GroupBy) => (by === 'month' ? t.detectedAt.slice(0, 7) : t.release);

/** Groups in order: months ascending; releases in the order their first incident was detected. */
export function aggregate(times: readonly IncidentTimes[], by: GroupBy): Group[] {
  const ordered = [...times].sort((a, b) => a.detectedAt.localeCompare(b.detectedAt) || a.id.localeCompare(b.id));
  const groups = new Map<string, IncidentTimes[]>();
  for (const t of ordered) groups.set(keyOf(t, by), [...(groups.get(keyOf(t, by)) ?? []), t]);
  const keys = [...groups.keys()];
  if (by === 'month') keys.sort();
  return keys.map((key) => {
    const members = groups.get(key)!;
    const outcomes: Record<Outcome, number> = { open: 0, resolved: 0, 'no-action': 0, failed: 0 };
    for (const m of members) outcomes[m.outcome] += 1;
    const measures: Partial<Record<Measure, Summary>> = {};
    for (const measure of MEASURES) {
      const s = summarise(members.map((m) => m[measure]).filter((v): v is number => v !== undefined));
      if (s) measures[measure] = s;
    }
    return { key, incidents: members.length, outcomes, measures };
  });
}

/** CSV: one row per group and measure, seconds; a measure no incident reached has count 0 and empty figures. */
export function aggregateCsv(groups: readonly Group[], by: GroupBy): string {
  const rows = [[by, 'measure', 'count', 'mean_seconds', 'p50_seconds', 'p90_seconds', 'incidents', 'resolved', 'no_action', 'failed', 'open'].join(',')];
  for (const g of groups) {
    for (const measure of MEASURES) {
      const s = g.measures[measure];
      const key = /[",\n]/.test(g.key) ? `"${g.key.replace(/"/g, '""')}"` : g.key;
      rows.push([key, measure, s?.count ?? 0, s ? round(s.mean) : '', s?.p50 ?? '', s?.p90 ?? '', g.incidents, g.outcomes.resolved, g.outcomes['no-action'], g.outcomes.failed, g.outcomes.open].join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
