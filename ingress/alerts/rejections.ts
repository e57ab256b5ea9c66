import type { AuditSink } from '../../activities/audit-sink';
import type { Metrics } from '../metrics';
import type { HttpError } from '../errors';

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
    who: `alert:${ctx.source}`,
    what: 'alert.rejected',
    when: new Date().toISOString(),
    where: ctx.remoteAddress,
    why: { reason: err.code },
    correlationId: ctx.correlationId,
    details: { status: err.status, message: err.message },
  });
}
