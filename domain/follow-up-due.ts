import { parseDurationMs } from './duration';
import { SEVERITIES, type Severity } from './severity';

/**
 * When the fix of a finding (a vulnerable dependency) is due: its severity picks a time from the
 * runbook's table (e.g. critical 15 days), counted from when the source observed the finding, so a
 * late or replayed alert does not push the date out. Pure, for workflow code and table tests.
 */
export type DueBySeverity = Partial<Record<Severity, string>>;

/** What a team without its own policy gets: critical 15 days, high 30, medium 90, low 180. */
export const DEFAULT_DUE_BY_SEVERITY: Record<Severity, string> = { critical: '15d', high: '30d', medium: '90d', low: '180d', info: '365d' };

export interface FollowUpDue {
  severity: Severity;
  within: string;
  from: string;
  due: string;
}

export function followUpDue(severity: string, from: string, table: DueBySeverity = {}): FollowUpDue {
  if (!(SEVERITIES as readonly string[]).includes(severity)) throw new Error(`follow-up due date: unknown severity ${JSON.stringify(severity)}`);
  const s = severity as Severity;
  const within = table[s] ?? DEFAULT_DUE_BY_SEVERITY[s];
  const ms = parseDurationMs(within);
  if (ms === undefined) throw new Error(`follow-up due date: ${JSON.stringify(within)} for ${s} is not a duration such as 15d`);
  const start = Date.parse(from);
  if (Number.isNaN(start)) throw new Error(`follow-up due date: ${JSON.stringify(from)} is not a time`);
  return { severity: s, within, from: new Date(start).toISOString(), due: new Date(start + ms).toISOString() };
}
