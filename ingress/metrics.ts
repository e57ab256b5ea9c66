import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one process. Created once and passed to whatever records into it, so
 * tests can read a fresh registry.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tourniquet_process_' });
  return {
    registry,
    alertsAccepted: new Counter({
      name: 'tourniquet_alerts_accepted_total',
      help: 'Alerts accepted, by source',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    alertsRejected: new Counter({
      name: 'tourniquet_alerts_rejected_total',
      help: 'Alert deliveries rejected, by source and reason',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
    webhookLatency: new Histogram({
      name: 'tourniquet_webhook_seconds',
      help: 'Alert webhook handling time',
      labelNames: ['source'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    incidentsByStatus: new Gauge({
      name: 'tourniquet_incidents',
      help: 'Incidents by status (from Temporal visibility)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    // The rest are read from Temporal on scrape (ingress/metrics-collector.ts), through a short cache.
    approvalsPending: new Gauge({
      name: 'tourniquet_approvals_pending',
      help: 'Runbook steps waiting for an approval, by step type',
      labelNames: ['step_type'] as const,
      registers: [registry],
    }),
    stepDuration: new Histogram({
      name: 'tourniquet_playbook_step_seconds',
      help: 'Playbook step run time (start to finish, approval wait excluded), by step type and outcome',
      labelNames: ['step_type', 'status'] as const,
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
    clockDeadline: new Gauge({
      name: 'tourniquet_breach_clock_deadline_seconds',
      help: 'Seconds until each open breach-notification obligation is due (negative: overdue)',
      labelNames: ['clock', 'obligation'] as const,
      registers: [registry],
    }),
    temporalUp: new Gauge({
      name: 'tourniquet_metrics_temporal_up',
      help: '1 when the last scrape could read incidents from Temporal',
      registers: [registry],
    }),
    // Observed once per incident, when it closes: the response times of ingress/mttx-query.ts.
    incidentResponse: new Histogram({
      name: 'tourniquet_incident_response_seconds',
      help: 'Incident response times by measure (mttd observed→detected, mtta, mttc first containment, mttr), severity and release',
      labelNames: ['measure', 'severity', 'release'] as const,
      buckets: [60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400],
      registers: [registry],
    }),
    incidentsClosed: new Counter({
      name: 'tourniquet_incidents_closed_total',
      help: 'Closed incidents by outcome (resolved, no-action, failed) and release: none drops out of the figures',
      labelNames: ['outcome', 'release'] as const,
      registers: [registry],
    }),
    clocksOverdue: new Gauge({
      name: 'tourniquet_breach_clock_obligations_overdue',
      help: 'Open breach-notification obligations past their deadline',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
