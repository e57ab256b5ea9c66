/**
 * Thousands of mutated payloads thrown at each source's parser and at the route in-process: a
 * delivery is either refused with a 4xx and a clear message before anything is stored or started,
 * or it parses into alerts that normalise cleanly. Never a crash, never a 5xx.
 */
import fc from 'fast-check';
import type { Client } from '@temporalio/client';
import { createIngressApp } from '../../ingress/app';
import { sourceAuthFrom } from '../../ingress/alerts/auth';
import { normalise } from '../../ingress/alerts/normalise';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { ALERT_SOURCES } from '../../ingress/alerts/sources';
import { HttpError } from '../../ingress/errors';
import { createMetrics } from '../../ingress/metrics';
import { parseConfig, WEBHOOK_SOURCES, type WebhookSource } from '../../platform/config';
import { fixture } from '../fixtures/alerts';
import { memoryAudit } from '../support/temporal';

const FIXTURES: Record<WebhookSource, string[]> = {
  alertmanager: ['alertmanager'],
  grafana: ['grafana'],
  pagerduty: ['pagerduty-triggered', 'pagerduty-resolved', 'pagerduty-ping'],
  datadog: ['datadog', 'datadog-recovered'],
  guardduty: ['guardduty'],
  generic: ['generic'],
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value inside a JSON document. */
function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(value)) return here.concat(...value.map((v, i) => paths(v, [...at, i])));
  if (value && typeof value === 'object') return here.concat(...Object.entries(value).map(([k, v]) => paths(v, [...at, k])));
  return here;
}

function setAt(doc: Json, path: (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const copy = [...doc];
    if (replacement === undefined && rest.length === 0) copy.splice(Number(head), 1);
    else copy[Number(head)] = setAt(copy[Number(head)]!, rest, replacement);
    return copy;
  }
  if (doc && typeof doc === 'object') {
    const copy = { ...doc };
    if (replacement === undefined && rest.length === 0) delete copy[String(head)];
    else copy[String(head)] = setAt(copy[String(head)]!, rest, replacement);
    return copy;
  }
  return doc;
}

const awkward = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.constantFrom<Json>('', '0001-01-01T00:00:00Z', '2024-02-31T00:00:00Z', '9999999999999', 'NaN', -1, 1e308, '\u0000', 'x'.repeat(5000), [], {}),
  fc.string({ unit: 'binary' }) as fc.Arbitrary<Json>,
);

/** A structural mutation of a documented payload: drop, replace or retype one value. */
function structural(doc: Json): fc.Arbitrary<string> {
  const all = paths(doc);
  return fc
    .tuple(fc.constantFrom(...all), fc.oneof(fc.constant(undefined), awkward), fc.nat(3))
    .map(([path, replacement, times]) => {
      let mutated = setAt(doc, path, replacement);
      for (let i = 0; i < times; i++) mutated = setAt(mutated, all[(i * 7919) % all.length]!, replacement);
      return JSON.stringify(mutated);
    });
}

/** A byte-level mutation: truncate, splice or flip, so JSON itself breaks. */
function bytewise(raw: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat(raw.length).map((n) => raw.slice(0, n)),
    fc.tuple(fc.nat(raw.length), fc.string({ maxLength: 8 })).map(([n, s]) => raw.slice(0, n) + s + raw.slice(n)),
    fc.tuple(fc.nat(raw.length - 1), fc.integer({ min: 0, max: 255 })).map(([n, b]) => {
      const bytes = Buffer.from(raw);
      bytes[n % bytes.length] = b;
      return bytes.toString('latin1');
    }),
  );
}

function payloads(source: WebhookSource): fc.Arbitrary<string> {
  const docs = FIXTURES[source].map((name) => fixture(name));
  return fc.oneof(
    ...docs.map((raw) => structural(JSON.parse(raw) as Json)),
    ...docs.map((raw) => bytewise(raw)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
  );
}

describe.each(WEBHOOK_SOURCES)('%s parser under mutated payloads', (source) => {
  test('refuses with 400/422 or yields alerts that normalise; nothing else escapes', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(payloads(source), (body) => {
        let alerts;
        try {
          alerts = parseDelivery(ALERT_SOURCES[source], Buffer.from(body, 'latin1'));
        } catch (err) {
          if (!(err instanceof HttpError) || ![400, 422].includes(err.status) || err.message.length === 0) throw err;
          outcomes.refused += 1;
          return;
        }
        outcomes.accepted += 1;
        alerts.forEach((a, i) => {
          const alert = normalise(source, a, `raw/${source}/x`, i, new Date());
          if (!alert.fingerprint || Number.isNaN(Date.parse(alert.observedAt))) throw new Error(`bad alert ${JSON.stringify(alert)}`);
        });
      }),
      { numRuns: 1500, seed: 20240502 + source.length },
    );
    // Both branches were exercised: the fuzzing reaches past the schema, and refuses too.
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.accepted).toBeGreaterThan(10);
  });
});

test('the route answers every mutated delivery with a 4xx before reaching Temporal', async () => {
  // A client whose every use throws: reaching Temporal would surface as a 500, failing the test.
  const unusable = new Proxy({} as Client, {
    get: () => {
      throw new Error('Temporal must not be reached for a refused delivery');
    },
  });
  const audit = memoryAudit();
  const stored: string[] = [];
  const app = createIngressApp({
    client: unusable,
    taskQueue: 'tourniquet',
    rawStore: { put: async (source) => (stored.push(source), `raw/${source}/x`) },
    maxBodyBytes: 64 * 1024,
    sourceAuth: sourceAuthFrom(parseConfig({})),
    audit,
    metrics: createMetrics(),
  });
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...WEBHOOK_SOURCES), fc.string({ maxLength: 300 }), fc.constantFrom('application/json', 'text/plain', ''), async (source, body, type) => {
      // Only unauthenticated generic deliveries get past auth by default; everything else is 401.
      const res = await app.request(`/alerts/${source}`, { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
      sent += 1;
      if (res.status >= 500) throw new Error(`${source} ${JSON.stringify(body)} → ${res.status}`);
      if (res.status === 202) throw new Error('a refused delivery was accepted');
    }),
    { numRuns: 1500, seed: 7 },
  );
  expect(sent).toBe(1500);
  expect(audit.events).toHaveLength(1500);
  expect(stored).toHaveLength(0);
});
