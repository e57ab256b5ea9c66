import type { Alert } from '../../domain/alert';
import { canonicalJson, sha256Hex } from '../../platform/canonical-json';
import type { DeliveryIdRegistry } from '../delivery-ids';
import { HttpError } from '../errors';
import type { SourceAlert } from './normalise';

/**
 * What a sender-given id vouches for: what the alert says about the world (kind, severity,
 * status, subject, labels, the time the sender observed it, its grouping key). Not its wording:
 * Alertmanager and Grafana re-render annotations (`{{ $value }}`) on every repeat of one alert,
 * and a repeat is the same alert. Not the receipt time either, which differs on every retry.
 */
export function contentDigest(a: SourceAlert): string {
  return sha256Hex(
    canonicalJson({ kind: a.kind, severity: a.severity, status: a.status, subject: a.subject, labels: a.labels, observedAt: a.observedAt, fingerprint: a.sourceFingerprint }),
  );
}

const LOOKUPS_AT_ONCE = 32;

const reused = (index: number, deliveryId: string) =>
  new HttpError(
    409,
    `alert ${index} reuses an id already accepted with different content (delivery id ${deliveryId}); a new alert needs an id of its own`,
    'delivery_id_conflict',
  );

/**
 * Refuse a delivery that reuses a sender's id for different content (409), and bind the ids of
 * one that does not. Without this the incident would attach the first alert and drop the other
 * silently. Ids we derive from the body's hash cannot be reused that way and are not bound.
 * Checked in full before anything is bound, so a refused delivery binds nothing (short of a
 * concurrent delivery winning a race for one of its ids between the check and the bind).
 */
export async function refuseReusedIds(registry: DeliveryIdRegistry, source: string, found: SourceAlert[], alerts: Alert[]): Promise<void> {
  const claims = new Map<string, { index: number; digest: string }>();
  found.forEach((a, index) => {
    if (a.sourceId === undefined) return;
    const { deliveryId } = alerts[index]!;
    const digest = contentDigest(a);
    const earlier = claims.get(deliveryId);
    if (!earlier) claims.set(deliveryId, { index, digest });
    else if (earlier.digest !== digest) throw reused(index, deliveryId);
  });
  const all = [...claims];
  const check = async (look: (deliveryId: string, digest: string) => Promise<string | undefined>) => {
    // A few at a time: an Alertmanager group of 1000 alerts must not open 1000 files at once.
    for (let at = 0; at < all.length; at += LOOKUPS_AT_ONCE) {
      const batch = all.slice(at, at + LOOKUPS_AT_ONCE);
      const seen = await Promise.all(batch.map(async ([deliveryId, claim]) => ({ deliveryId, ...claim, bound: await look(deliveryId, claim.digest) })));
      const conflict = seen.find((c) => c.bound !== undefined && c.bound !== c.digest);
      if (conflict) throw reused(conflict.index, conflict.deliveryId);
    }
  };
  // With one id, binding is the check; with several, all are checked before any is bound.
  if (all.length > 1) await check((deliveryId) => registry.boundTo(source, deliveryId));
  await check((deliveryId, digest) => registry.bind(source, deliveryId, digest));
}
