import { Hono } from 'hono';
import { bearerToken } from './dashboard/auth';
import type { SnapshotReader } from './dashboard/snapshot';
import { metricsCollector } from './metrics-collector';
import type { Metrics } from './metrics';

/**
 * GET /metrics in Prometheus text format. Incident, approval and clock figures are read from
 * Temporal at scrape time through the snapshot cache; if Temporal cannot be read the process
 * metrics are still served, and `tourniquet_metrics_temporal_up` says so. With a scrape token
 * configured, only a scraper presenting it is answered.
 */
export function metricsRoutes(metrics: Metrics, snapshots?: SnapshotReader, token?: string): Hono {
  const collect = metricsCollector(metrics);
  const app = new Hono();
  if (token) app.use('/metrics', bearerToken(token, 'metrics'));
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
