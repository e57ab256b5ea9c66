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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
