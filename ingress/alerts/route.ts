import type { Client } from '@temporalio/client';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import type { AuditSink } from '../../activities/audit-sink';
import type { Alert } from '../../domain/alert';
import { correlationIdFrom } from '../../platform/logger';
import { HttpError } from '../errors';
import { deliverAlert } from '../incidents';
import type { Metrics } from '../metrics';
import type { RawPayloadStore } from '../raw-store';
import { authenticate, type SourceAuth } from './auth';
import { readBodyWithin } from './body';
import { normalise } from './normalise';
import { parseDelivery } from './parse-delivery';
import { recordAcceptance, recordRejection } from './rejections';
import { ALERT_SOURCES, isWebhookSource } from './sources';
import type { WebhookSource } from '../../platform/config';

export interface AlertRouteDeps {
  client: Client;
  taskQueue: string;
  rawStore: RawPayloadStore;
  maxBodyBytes: number;
  sourceAuth: Record<WebhookSource, SourceAuth>;
  audit: AuditSink;
  metrics: Metrics;
}

function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'in-process';
  }
}

/** Senders time out at 10–15 s (Alertmanager, Datadog); answer before they do. */
const DELIVERY_DEADLINE_MS = 8_000;

/** Only JSON is accepted; `application/json; charset=utf-8` included. */
function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType?.trim() ?? '');
}

/**
 * POST /alerts/:source — refuse early (unknown source, size, media type), authenticate the raw
 * body, parse it strictly, store it by reference, then start or attach each alert's incident.
 * Nothing reaches Temporal unless every check passed.
 */
export function alertRoutes(deps: AlertRouteDeps) {
  const app = new Hono<{ Variables: { correlationId?: string } }>();
  app.post('/alerts/:source', async (c) => {
    const started = performance.now();
    // Label metrics with known sources only: a made-up path must not add series.
    const path = c.req.param('source');
    const source = isWebhookSource(path) ? path : 'unknown';
    // The request log's id when there is one, so audit records and log lines share it.
    const correlationId = c.get('correlationId') ?? correlationIdFrom(c.req.header('x-request-id'));
    c.header('x-request-id', correlationId);
    try {
      if (!isWebhookSource(source)) throw new HttpError(404, `unknown alert source "${path.slice(0, 64)}"`, 'unknown_source');
      const declared = Number(c.req.header('content-length') ?? 0);
      if (declared > deps.maxBodyBytes) throw new HttpError(413, `body exceeds ${deps.maxBodyBytes} bytes`, 'too_large');
      if (!isJson(c.req.header('content-type'))) {
        throw new HttpError(415, 'content-type must be application/json', 'unsupported_media_type');
      }
      const body = await readBodyWithin(c.req.raw, deps.maxBodyBytes);
      authenticate(source, deps.sourceAuth[source], (name) => c.req.header(name), body, Math.floor(Date.now() / 1000));
      const found = parseDelivery(ALERT_SOURCES[source], body);

      const rawRef = await deps.rawStore.put(source, body);
      const receivedAt = new Date();
      const alerts: Alert[] = found.map((a, i) => normalise(source, a, rawRef, i, receivedAt));
      // Each alert is idempotent on its delivery id, so a partial failure is safe to retry whole.
      // Bounded, so an unreachable Temporal answers 503 before the sender's own timeout gives up.
      const delivered = await deps.client.withDeadline(Date.now() + DELIVERY_DEADLINE_MS, () =>
        Promise.all(alerts.map((alert) => deliverAlert(deps.client, deps.taskQueue, alert))),
      );
      const incidents = [...new Set(delivered.filter((d) => d.attached).map((d) => d.incidentId))];
      await recordAcceptance(deps, { source, remoteAddress: remoteAddress(c), correlationId }, alerts, incidents);
      return c.json({ accepted: alerts.length, incidents }, 202);
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status < 500) await recordRejection(deps, { source, remoteAddress: remoteAddress(c), correlationId }, err);
        else deps.metrics.alertsRejected.inc({ source, reason: err.code });
      }
      throw err;
    } finally {
      deps.metrics.webhookLatency.observe({ source }, (performance.now() - started) / 1000);
    }
  });
  return app;
}
