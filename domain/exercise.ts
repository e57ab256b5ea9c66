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
      labels: { [DRILL_RUNBOOK_LABEL]: d.runbook, declaredBy: d.startedBy },
      observedAt: d.at,
      fingerprint,
      deliveryId: `drill:${fingerprint}`,
      rawRef: 'none',
    },
  };
}
