/**
 * Drills: a real incident of a named runbook, opened by a person, marked as an exercise in its id
 * (domain/ids.ts). Approvals, escalations, Slack messages, roles and timers are real; AWS steps are
 * planned from real, read-only state and never applied (activities/aws/ledger.ts refuses writes).
 */
import type { Alert, AlertSubject } from './alert';
import { exerciseIncidentId } from './ids';
import type { Severity } from './severity';

/** The label naming the runbook a drill rehearses; honoured only for exercise incidents. */
export const DRILL_RUNBOOK_LABEL = 'tourniquet.drill.runbook';

/** The label carrying how much faster a drill's breach clock runs than the wall clock. */
export const DRILL_CLOCK_SCALE_LABEL = 'tourniquet.drill.clockScale';

/** By default a drill's clock runs a day a minute: the 60-day notice deadline comes within the hour. */
export const DEFAULT_DRILL_CLOCK_SCALE = 1440;
export const MAX_DRILL_CLOCK_SCALE = 1_000_000;

/** The time scale a drill's alert asks for (its label), or the default; anything odd is the default. */
export function drillClockScale(alert: Pick<Alert, 'labels'> | undefined): number {
  const asked = Number(alert?.labels?.[DRILL_CLOCK_SCALE_LABEL]);
  return Number.isInteger(asked) && asked >= 1 && asked <= MAX_DRILL_CLOCK_SCALE ? asked : DEFAULT_DRILL_CLOCK_SCALE;
}

export interface DrillRequest {
  runbook: string;
  /** who started it: recorded as the incident's requester */
  startedBy: string;
  severity: Severity;
  /** the alert's subject, as a real source would send it (a principal, a key, addresses) */
  subject: AlertSubject;
  /** unique per drill (random hex) */
  suffix: string;
  at: string;
  /** how much faster than the wall clock the drill's breach clock runs (default DEFAULT_DRILL_CLOCK_SCALE) */
  clockScale?: number;
}

/** The alert a drill opens with: kind and subject as the runbook expects, pinned to the runbook. */
export function drillAlert(d: DrillRequest): { incidentId: string; alert: Alert } {
  const incidentId = exerciseIncidentId(d.suffix);
  const fingerprint = incidentId.slice('incident/'.length);
  return {
    incidentId,
    alert: {
      source: 'manual',
      kind: 'Exercise',
      severity: d.severity,
      status: 'firing',
      title: `EXERCISE: drill of ${d.runbook}`,
      subject: d.subject,
      labels: { [DRILL_RUNBOOK_LABEL]: d.runbook, declaredBy: d.startedBy, ...(d.clockScale ? { [DRILL_CLOCK_SCALE_LABEL]: String(d.clockScale) } : {}) },
      observedAt: d.at,
      fingerprint,
      deliveryId: `drill:${fingerprint}`,
      rawRef: 'none',
    },
  };
}
