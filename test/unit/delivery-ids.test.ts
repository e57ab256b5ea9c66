/**
 * A sender's id stands for one alert. The same id with the same content (a retry, an Alertmanager
 * repeat with re-rendered annotations) is fine; the same id with different content is refused,
 * and the binding outlives the process that made it.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDeliveryIds } from '../../ingress/delivery-ids';
import { normalise, type SourceAlert } from '../../ingress/alerts/normalise';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { refuseReusedIds } from '../../ingress/alerts/reused-ids';
import { WEBHOOK_SOURCE_SPECS } from '../../ingress/alerts/sources';
import { HttpError } from '../../ingress/errors';
import type { WebhookSource } from '../../platform/config';
import { fixture } from '../fixtures/alerts';

const base: SourceAlert = { kind: 'LeakedAccessKey', severity: 'high', status: 'firing', title: 'key posted', subject: { principal: 'svc-a' }, labels: { team: 'api' }, sourceId: 'scan-1' };

function registry() {
  const dir = mkdtempSync(join(tmpdir(), 'tq-ids-'));
  return { dir, ids: localDeliveryIds(dir) };
}

const deliver = (ids: ReturnType<typeof localDeliveryIds>, found: SourceAlert[], source: WebhookSource = 'generic') =>
  refuseReusedIds(ids, source, found, found.map((a, i) => normalise(source, a, `raw/${source}/x${Math.random()}`, i, new Date())));

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof HttpError)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
}

test.each([
  ['another subject', { subject: { principal: 'svc-b' } }],
  ['another kind', { kind: 'PhiExport' }],
  ['another severity', { severity: 'critical' as const }],
  ['another label', { labels: { team: 'billing' } }],
  ['another observation time', { observedAt: '2024-05-02T11:00:00Z' }],
  ['another fingerprint', { sourceFingerprint: 'fp-2' }],
])('the same id with %s is 409, even after a restart', async (_what, change) => {
  const { dir, ids } = registry();
  await deliver(ids, [base]);
  const restarted = localDeliveryIds(dir);
  const err = await refusal(deliver(restarted, [{ ...base, ...change }]));
  expect([err.status, err.code]).toEqual([409, 'delivery_id_conflict']);
  expect(err.message).toMatch(/^alert 0 reuses an id already accepted with different content/);
});

test('a retry, or a repeat that only rewords its title, is the same alert', async () => {
  const { ids } = registry();
  await deliver(ids, [base]);
  await expect(deliver(ids, [base])).resolves.toBeUndefined();
  await expect(deliver(ids, [{ ...base, title: 'key posted (CPU at 97%)' }])).resolves.toBeUndefined();
});

test('one delivery using one id for two different alerts is 409, and binds nothing', async () => {
  const { dir, ids } = registry();
  const err = await refusal(deliver(ids, [base, { ...base, sourceId: 'scan-2' }, { ...base, subject: { principal: 'svc-b' } }]));
  expect(err.message).toMatch(/^alert 2 reuses/);
  expect(readdirSync(dir)).toEqual([]);
});

test('a refused delivery binds none of its ids; an accepted one binds each', async () => {
  const { dir, ids } = registry();
  await deliver(ids, [base]);
  const fresh = { ...base, sourceId: 'scan-3' };
  await refusal(deliver(ids, [fresh, { ...base, severity: 'low' }]));
  // scan-3 stayed free: the same alert under it, in a delivery of its own, is not a conflict later.
  await deliver(ids, [{ ...fresh, subject: { principal: 'svc-c' } }]);
  expect(readdirSync(join(dir, 'generic'))).toHaveLength(2);
});

test('ids we derive from the body are not bound (a body hash cannot be reused for other content)', async () => {
  const { dir, ids } = registry();
  const { sourceId: _dropped, ...anonymous } = base;
  await deliver(ids, [anonymous, { ...anonymous, kind: 'Other' }]);
  expect(readdirSync(dir)).toEqual([]);
});

test('Alertmanager re-sending a group with re-rendered annotations and a new endsAt is not a conflict', async () => {
  const { ids } = registry();
  const first = parseDelivery(WEBHOOK_SOURCE_SPECS.alertmanager, Buffer.from(fixture('alertmanager')));
  await deliver(ids, first, 'alertmanager');
  const doc = JSON.parse(fixture('alertmanager')) as { alerts: { annotations: Record<string, string>; endsAt?: string }[] };
  doc.alerts.forEach((a) => {
    a.annotations = { ...a.annotations, summary: `${a.annotations.summary ?? ''} (now 97%)` };
    a.endsAt = '2099-01-01T00:00:00Z';
  });
  const repeat = parseDelivery(WEBHOOK_SOURCE_SPECS.alertmanager, Buffer.from(JSON.stringify(doc)));
  expect(repeat[0]!.title).not.toBe(first[0]!.title);
  await expect(deliver(ids, repeat, 'alertmanager')).resolves.toBeUndefined();
});

test('two deliveries racing for one id with different content: one wins, the other is refused', async () => {
  const { ids } = registry();
  const outcomes = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => deliver(ids, [{ ...base, sourceId: 'race', subject: { principal: `svc-${i}` } }])),
  );
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  expect(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason.status === 409)).toBe(true);
});

test('a binding left empty by a writer that died (as bindings written in place could be) binds nobody: the next delivery takes it', async () => {
  const { dir, ids } = registry();
  const [alert] = [normalise('generic', base, 'raw/generic/x', 0, new Date())];
  mkdirSync(join(dir, 'generic'), { recursive: true });
  writeFileSync(join(dir, 'generic', alert!.deliveryId), '');
  await expect(deliver(ids, [base])).resolves.toBeUndefined();
});
