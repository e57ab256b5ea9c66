/**
 * The drill cadence's names and result, declared once: the worker's Schedule (worker/drill-schedule.ts),
 * the workflow and tests import these.
 */
export const DRILL_CADENCE_WORKFLOW = 'drillCadenceWorkflow';

export { DRILL_CADENCE_SCHEDULE } from '../domain/ids';

/** A runbook whose drill is due, as the cadence found it and told its owner. */
export interface DueDrill {
  runbook: string;
  owner?: string;
  /** why it is due: never exercised, not within 365 days, changed since its last exercise */
  due: string;
  lastExercise?: { incidentId: string; startedAt: string };
}

export interface DrillCadence {
  /** workflow time of the check */
  at: string;
  /** every runbook checked */
  checked: number;
  due: DueDrill[];
}
