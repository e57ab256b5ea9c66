import type { Snapshot } from './dashboard/snapshot';
import type { Metrics } from './metrics';
import { MEASURES } from '../domain/mttx';

/** Steps already counted in the duration histogram; a finished step is observed once, however often scraped. */
const OBSERVED_LIMIT = 50_000;

/**
 * Bring the Temporal-derived metrics up to date from a snapshot. Gauges are reset first, so
 * incidents and clocks that went away stop being reported.
 */
export function metricsCollector(metrics: Metrics) {
  const observed = new Set<string>();
  return (snapshot: Snapshot, now = Date.now()): void => {
    metrics.incidentsByStatus.reset();
    for (const [status, count] of Object.entries(snapshot.byStatus)) metrics.incidentsByStatus.set({ status }, count);

    metrics.approvalsPending.reset();
    for (const row of snapshot.open) {
      for (const pending of row.pendingApprovals) metrics.approvalsPending.inc({ step_type: pending.stepType });
    }

    for (const row of [...snapshot.open, ...snapshot.closed]) {
      for (const step of row.steps) {
        if (!step.startedAt || !step.finishedAt) continue;
        const key = `${row.id}\u0000${row.openedAt}\u0000${step.id}`;
        if (observed.has(key)) continue;
        observed.add(key);
        if (observed.size > OBSERVED_LIMIT) observed.delete(observed.values().next().value!);
        const seconds = (Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000;
        metrics.stepDuration.observe({ step_type: step.type, status: step.status }, Math.max(0, seconds));
      }
    }

    for (const row of snapshot.closed) {
      const key = `${row.id}\u0000${row.openedAt}\u0000closed`;
      if (observed.has(key)) continue;
      observed.add(key);
      const t = row.times;
      metrics.incidentsClosed.inc({ outcome: t.outcome, release: t.release });
      for (const measure of MEASURES) {
        const value = t[measure];
        if (value !== undefined) metrics.incidentResponse.observe({ measure, severity: t.severity, release: t.release }, value);
      }
    }

    metrics.clockDeadline.reset();
    let overdue = 0;
    for (const clock of snapshot.clocks) {
      for (const obligation of clock.obligations) {
        if (obligation.done) continue;
        const seconds = (Date.parse(obligation.dueAt) - now) / 1000;
        metrics.clockDeadline.set({ clock: clock.id, obligation: obligation.name }, seconds);
        if (seconds < 0) overdue += 1;
      }
    }
    metrics.clocksOverdue.set(overdue);
  };
}
