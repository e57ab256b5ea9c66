/**
 * The severity policy: incident levels (SEV1–SEV4 by default), what maps an incident to one (its
 * alert severity, domain/severity.ts, or its runbook), and each level's response targets, measured
 * from the incident opening: acknowledge, contain, resolve; and when its post-incident review is
 * due after resolution. A target that passes unmet is missed: the incident escalates it (and pages
 * the on-call where the level says so). Pure: the workflow asks these functions with workflow time.
 */
import { parseDurationMs } from './duration';
import type { Severity } from './severity';

export const RESPONSE_TARGETS = ['acknowledge', 'contain', 'resolve'] as const;
export type ResponseTarget = (typeof RESPONSE_TARGETS)[number];

export interface SeverityLevel {
  id: string;
  /** durations from the incident opening (domain/duration.ts); a target left out is not watched */
  targets: Partial<Record<ResponseTarget, string>>;
  /** the review is due this long after resolution; unset: `reviews.dueDays` by alert severity */
  review?: string;
  /** a missed target pages the on-call (when PagerDuty is configured) */
  page: boolean;
  /** who is mentioned when a target is missed; unset: the runbook's escalation group */
  escalationGroup?: string;
}

export interface SeverityPolicy {
  /** most severe first */
  levels: SeverityLevel[];
  /** every alert severity names a level */
  alerts: Record<Severity, string>;
  /** runbook id → level: a runbook's level, when it has one, wins over the alert severity's */
  runbooks: Record<string, string>;
  /** PagerDuty is configured: a missed target of a level with `page` pages the on-call */
  paging: boolean;
}

/** The level of an incident: its runbook's when the policy names one, else its alert severity's. */
export function levelFor(policy: SeverityPolicy, severity: Severity, runbookId?: string): SeverityLevel {
  const id = (runbookId !== undefined ? policy.runbooks[runbookId] : undefined) ?? policy.alerts[severity];
  // Configuration is checked at start (every name is a level); a policy without it falls back to the least severe.
  return policy.levels.find((l) => l.id === id) ?? policy.levels[policy.levels.length - 1]!;
}

/** Why a policy cannot be used: a mapping names a level that is not there. One line per problem, with its setting. */
export function policyProblems(policy: Pick<SeverityPolicy, 'levels' | 'alerts' | 'runbooks'>): { path: string; message: string }[] {
  const ids = policy.levels.map((l) => l.id);
  const known = ids.length > 0 ? `levels are ${ids.join(', ')}` : 'no levels are configured';
  const problems: { path: string; message: string }[] = [];
  if (ids.length === 0) problems.push({ path: 'levels', message: 'at least one level is needed' });
  for (const [severity, level] of Object.entries(policy.alerts)) {
    if (!ids.includes(level)) problems.push({ path: `alerts.${severity}`, message: `no level ${level} (${known})` });
  }
  for (const [runbook, level] of Object.entries(policy.runbooks)) {
    if (!ids.includes(level)) problems.push({ path: `runbooks.${runbook}`, message: `no level ${level} (${known})` });
  }
  return problems;
}

export type TargetStatus = 'pending' | 'met' | 'missed';

/** One response target of an incident, as the incident keeps it (state and query). */
export interface TargetState {
  target: ResponseTarget;
  /** the level's duration, as configured */
  within: string;
  dueAt: string;
  status: TargetStatus;
  missedAt?: string;
  metAt?: string;
  /** the missed target paged the on-call (and the page was resolved once met), or tried to */
  page?: 'sent' | 'resolved' | 'failed';
}

/** What the targets are measured against. */
export interface TargetFacts {
  openedAt: string;
  acknowledgedAt?: string;
  containedAt?: string;
  /** resolved or closed as no-action: every target is met */
  closed: boolean;
  /** the runbook has a step that contains: without one there is nothing to contain */
  containable: boolean;
}

export function targetMet(target: ResponseTarget, facts: TargetFacts): boolean {
  if (facts.closed) return true;
  if (target === 'acknowledge') return facts.acknowledgedAt !== undefined;
  if (target === 'contain') return facts.containedAt !== undefined;
  return false;
}

/**
 * The targets of `level` for an incident: each configured one, due from the opening. A target the
 * incident already met or missed (under an earlier level) keeps its record, so a severity that rises
 * never escalates the same target twice; a pending one is due by the new level.
 */
export function targetsFor(level: SeverityLevel, facts: TargetFacts, earlier: readonly TargetState[] = []): TargetState[] {
  return RESPONSE_TARGETS.flatMap((target): TargetState[] => {
    const within = level.targets[target];
    if (within === undefined || (target === 'contain' && !facts.containable)) return [];
    const before = earlier.find((t) => t.target === target);
    if (before && before.status !== 'pending') return [before];
    return [{ target, within, dueAt: new Date(Date.parse(facts.openedAt) + parseDurationMs(within)!).toISOString(), status: 'pending' }];
  });
}

/** The pending target due first, if any. */
export function nextDue(targets: readonly TargetState[]): TargetState | undefined {
  return targets.filter((t) => t.status === 'pending').sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
}

/** A page stays open while a target it was sent for is unmet; once all are met it is resolved. */
export function pageSettled(targets: readonly TargetState[]): boolean {
  return targets.filter((t) => t.page === 'sent').every((t) => t.status === 'met');
}

/** What PagerDuty calls the alert severity (Events API v2 `payload.severity`). */
export const PAGER_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

/** The default policy: four levels, critical alerts SEV1 down to low and info SEV4. */
export const DEFAULT_LEVELS: Record<string, Omit<SeverityLevel, 'id'>> = {
  SEV1: { targets: { acknowledge: '15m', contain: '1h', resolve: '4h' }, page: true },
  SEV2: { targets: { acknowledge: '30m', contain: '4h', resolve: '24h' }, page: true },
  SEV3: { targets: { acknowledge: '4h', contain: '24h', resolve: '3d' }, page: false },
  SEV4: { targets: { acknowledge: '1d', resolve: '7d' }, page: false },
};

export const DEFAULT_ALERT_LEVELS: Record<Severity, string> = { critical: 'SEV1', high: 'SEV2', medium: 'SEV3', low: 'SEV4', info: 'SEV4' };
