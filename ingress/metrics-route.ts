import { Hono } from 'hono';
import type { SnapshotReader } from './dashboard/snapshot';
import { metricsCollector } from './metrics-collector';
import type { Metrics } from './metrics';

/**
 * GET /metrics in Prometheus text format. Incident, approval and clock figures are read from
 * Temporal at scrape time through the snapshot cache; if Temporal cannot be read the process
 * metrics are still served, and `tourniquet_metrics_temporal_up` says so.
 */
export function metricsRoutes(metrics: Metrics, snapshots?: SnapshotReader): Hono {
  const collect = metricsCollector(metrics);
  const app = new Hono();
  app.get('/metrics', async (c) => {
    if (snapshots) {
      try {
        collect(await snapshots.snapshot());
        metrics.temporalUp.set(1);
      } catch {
        metrics.temporalUp.set(0);
      }
    }
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });
  return app;
}
