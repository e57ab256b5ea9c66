import type { Client } from '@temporalio/client';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import type { AuditSink } from '../../activities/audit-sink';
import type { Alert } from '../../domain/alert';
import { correlationIdFrom } from '../../platform/logger';
import { HttpError } from '../errors';
import { deliverAlert } from '../incidents';
import type { Metrics } from '../metrics';
import { rawRefOf, type RawPayloadStore } from '../raw-store';
import type { DeliveryIdRegistry } from '../delivery-ids';
import { authenticate, type SourceAuth } from './auth';
import { bodyChunks, readBodyWithin } from './body';
import { clip } from './clean-json';
import { requireJson } from './media-type';
import { normalise } from './normalise';
import { parseDelivery } from './parse-delivery';
import { recordAcceptance, recordNotDelivered, recordRejection } from './rejections';
import { incidentIdFor } from '../../domain/ids';
import { refuseReusedIds } from './reused-ids';
import { WEBHOOK_SOURCE_SPECS, isWebhookSource } from './sources';
import type { WebhookSource } from '../../platform/config';

export interface AlertRouteDeps {
  client: Client;
  taskQueue: string;
  rawStore: RawPayloadStore;
  maxBodyBytes: number;
  /** an alert body must arrive whole within this (ms) */
  bodyTimeoutMs: number;
  /** which content each sender-given delivery id was first seen with */
  deliveryIds: DeliveryIdRegistry;
  /** per alert source: who may post (see ingress/alerts/auth.ts `sourceAuthFrom`) */
  sourceAuth: Record<WebhookSource, SourceAuth>;
  /** accepted and refused deliveries are audited here */
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

/**
 * POST /alerts/:source — refuse early (unknown source, size, media type, a body that is slow to
 * arrive), authenticate the raw body, parse it strictly, refuse a reused id, store it by
 * reference, then start or attach each alert's incident. Nothing reaches Temporal unless every
 * check passed.
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
      if (!isWebhookSource(source)) throw new HttpError(404, `unknown alert source "${clip(path, 64)}"`, 'unknown_source');
      const declared = Number(c.req.header('content-length') ?? 0);
      if (declared > deps.maxBodyBytes) throw new HttpError(413, `body exceeds ${deps.maxBodyBytes} bytes`, 'too_large');
      requireJson(c.req.header('content-type'));
      const body = await readBodyWithin(bodyChunks(c), deps.maxBodyBytes, deps.bodyTimeoutMs);
      authenticate(source, deps.sourceAuth[source], (name) => c.req.header(name), body, Math.floor(Date.now() / 1000));
      const found = parseDelivery(WEBHOOK_SOURCE_SPECS[source], body);

      // Named before it is stored, so a delivery refused for a reused id stores nothing.
      const rawRef = rawRefOf(source, body);
      const receivedAt = new Date();
      const alerts: Alert[] = found.map((a, i) => normalise(source, a, rawRef, i, receivedAt));
      await refuseReusedIds(deps.deliveryIds, source, found, alerts);
      if ((await deps.rawStore.put(source, body)) !== rawRef) throw new Error('raw store named the payload differently');
      // On the ledger before any incident sees it: no alert is ever on an incident without its record.
      const context = { source, remoteAddress: remoteAddress(c), correlationId };
      await recordAcceptance(deps, context, alerts, [...new Set(alerts.map((a) => incidentIdFor(a.fingerprint)))]);
      // Each alert is idempotent on its delivery id, so a partial failure is safe to retry whole.
      // Bounded, so an unreachable Temporal answers 503 before the sender's own timeout gives up.
      const delivered = await deps.client
        .withDeadline(Date.now() + DELIVERY_DEADLINE_MS, () => Promise.all(alerts.map((alert) => deliverAlert(deps.client, deps.taskQueue, alert))))
        .catch(async (err: unknown) => {
          await recordNotDelivered(deps, context, alerts, err);
          throw err;
        });
      const incidents = [...new Set(delivered.filter((d) => d.attached).map((d) => d.incidentId))];
      deps.metrics.alertsAccepted.inc({ source }, alerts.length);
      return c.json({ accepted: alerts.length, incidents }, 202);
    } catch (err) {
      if (err instanceof HttpError) {
        // The sender may still be sending: close the connection rather than read on.
        if (err.status === 408 || err.status === 413) c.header('Connection', 'close');
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
