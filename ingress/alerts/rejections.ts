import { singleEventId, type AuditSink } from '../../activities/audit-sink';
import type { Metrics } from '../metrics';
import type { HttpError } from '../errors';
import type { Alert } from '../../domain/alert';
import { shownKind } from '../../domain/display';

export interface RejectionContext {
  source: string;
  remoteAddress: string;
  correlationId: string;
}

/**
 * Every refused delivery is counted and audited, without its body: a payload may carry PHI, and
 * a refused one is exactly what an attacker controls.
 */
export async function recordRejection(
  deps: { audit: AuditSink; metrics: Metrics },
  ctx: RejectionContext,
  err: HttpError,
): Promise<void> {
  deps.metrics.alertsRejected.inc({ source: ctx.source, reason: err.code });
  await deps.audit.append({
    id: singleEventId('ingress'),
    who: `alert:${ctx.source}`,
    what: 'alert.rejected',
    when: new Date().toISOString(),
    where: ctx.remoteAddress,
    why: { reason: err.code },
    correlationId: ctx.correlationId,
    details: { status: err.status, message: err.message },
  });
}

/**
 * An accepted delivery is audited too: which alerts (kind, severity, delivery id, raw payload
 * reference — never the payload) went to which incidents.
 */
export async function recordAcceptance(
  deps: { audit: AuditSink },
  ctx: RejectionContext,
  alerts: Alert[],
  incidents: string[],
): Promise<void> {
  await deps.audit.append({
    id: singleEventId('ingress'),
    who: `alert:${ctx.source}`,
    what: 'alert.accepted',
    when: new Date().toISOString(),
    where: ctx.remoteAddress,
    why: { incident: incidents[0] },
    correlationId: ctx.correlationId,
    details: {
      incidents,
      alerts: alerts.map((a) => ({ kind: shownKind(a.kind), severity: a.severity, status: a.status, deliveryId: a.deliveryId, rawRef: a.rawRef })),
    },
  });
}

/** Accepted on the ledger, then Temporal could not be reached: the sender is told to retry (5xx). */
export async function recordNotDelivered(deps: { audit: AuditSink }, ctx: RejectionContext, alerts: Alert[], err: unknown): Promise<void> {
  await deps.audit.append({
    id: singleEventId('ingress'),
    who: `alert:${ctx.source}`,
    what: 'alert.not-delivered',
    when: new Date().toISOString(),
    where: ctx.remoteAddress,
    why: { reason: (err as Error).name ?? 'Error' },
    correlationId: ctx.correlationId,
    details: { deliveryIds: alerts.map((a) => a.deliveryId), message: 'accepted, but not delivered to Temporal; the sender retries' },
  });
}
