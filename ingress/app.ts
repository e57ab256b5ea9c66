import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { sourceAuthFrom } from './alerts/auth';
import { alertRoutes, type AlertRouteDeps } from './alerts/route';
import { operatorApi, type OperatorApiDeps } from './api';
import { codecRoutes, type CodecRouteDeps } from './codec-route';
import { dashboardRoutes } from './dashboard/routes';
import { SnapshotReader } from './dashboard/snapshot';
import { errorResponse } from './errors';
import { metricsRoutes } from './metrics-route';
import { requestLog } from './request-log';
import { securityHeaders } from './security-headers';
import type { Logger } from '../platform/logger';
import { evidenceRawStore } from './raw-store';
import { localDeliveryIds } from './delivery-ids';
import { postgresDeliveryIds } from './delivery-ids-postgres';
import { auditPool } from '../activities/audit/postgres-log';
import { evidenceStoreFor } from '../activities/evidence';
import type { Config } from '../platform/config';
import { displayPolicyFrom } from '../platform/display-policy';

/** The alert webhooks' dependencies (ingress/alerts/route.ts), and what the other routes need. */
export interface IngressDeps extends AlertRouteDeps {
  /** incidents, approvals and clocks read from Temporal (cached) for the dashboard and /metrics */
  snapshots?: SnapshotReader;
  /** the dashboard API's bearer token; unset: the API refuses everyone */
  dashboardToken?: string;
  /** the scrape token /metrics requires; unset: /metrics is open (keep it on a private network) */
  metricsToken?: string;
  /** request log lines with correlation ids; unset: no request log */
  log?: Logger;
  /** the codec endpoint for the Temporal UI; unset (no token configured): not served */
  codec?: CodecRouteDeps;
  /** the operator API (`/api/v1`): signed-in people's decisions; unset: not served */
  operators?: Pick<OperatorApiDeps, 'decider' | 'authenticate'>;
  /** break-glass profiles (access.profiles) for the operator API */
  access?: OperatorApiDeps['access'];
  /** where runbooks and their scenarios are, for `POST /drills` of a scenario */
  runbooksDir?: string;
}

/**
 * The ingress's dependencies as configuration says: raw payloads into the evidence store, source
 * authentication, the dashboard's cached reader and token. Callers add the audit sink, metrics
 * and whatever else they run with (log, codec endpoint).
 */
export function ingressDepsFrom(
  config: Config,
  client: Client,
  extra: Pick<IngressDeps, 'audit' | 'metrics'> & Partial<IngressDeps>,
): IngressDeps {
  return {
    client,
    taskQueue: config.temporal.taskQueue,
    rawStore: evidenceRawStore(evidenceStoreFor(config)),
    maxBodyBytes: config.ingress.maxBodyBytes,
    bodyTimeoutMs: config.ingress.bodyTimeoutMs,
    // Shared by every ingress with the shared ledger's database; beside the data directory otherwise.
    deliveryIds: config.audit.postgres
      ? postgresDeliveryIds(auditPool(config.audit.postgres.url, 2))
      : localDeliveryIds(join(resolve(config.dataDir), 'delivery-ids')),
    sourceAuth: sourceAuthFrom(config),
    snapshots: new SnapshotReader(client, config.dashboard.cacheSeconds * 1000, Date.now, displayPolicyFrom(config)),
    dashboardToken: config.dashboard.token,
    metricsToken: config.metrics.token,
    access: config.access,
    runbooksDir: config.runbooksDir,
    ...extra,
  };
}

/** The ingress as a request → response function: testable in-process and served over HTTP. */
export function createIngressApp(deps: IngressDeps): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  if (deps.log) app.use('*', requestLog(deps.log));
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    try {
      await deps.client.connection.withDeadline(Date.now() + 2_000, () => deps.client.workflowService.getSystemInfo({}));
      return c.json({ ready: true });
    } catch {
      return c.json({ ready: false, reason: 'Temporal unreachable' }, 503);
    }
  });
  app.route('/', alertRoutes(deps));
  if (deps.operators) app.route('/', operatorApi({ client: deps.client, taskQueue: deps.taskQueue, ...(deps.access ? { access: deps.access } : {}), ...(deps.runbooksDir ? { runbooksDir: deps.runbooksDir } : {}), ...deps.operators }));
  if (deps.codec) app.route('/', codecRoutes({ audit: deps.audit, ...deps.codec }));
  app.route('/', metricsRoutes(deps.metrics, deps.snapshots, deps.metricsToken));
  if (deps.snapshots) app.route('/', dashboardRoutes({ client: deps.client, snapshots: deps.snapshots, token: deps.dashboardToken, audit: deps.audit }));
  app.notFound((c) => c.json({ error: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError(errorResponse);
  return app;
}
