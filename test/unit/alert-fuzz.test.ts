/**
 * Thousands of mutated payloads thrown at each source's parser and at the route in-process: a
 * delivery is either refused with a 4xx and a clear message before anything is stored or started,
 * or it parses into alerts that normalise cleanly. Never a crash, never a 5xx.
 */
import fc from 'fast-check';
import { mkdtempSync, readdirSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createIngressApp, type IngressDeps } from '../../ingress/app';
import { localDeliveryIds } from '../../ingress/delivery-ids';
import { evidenceRawStore } from '../../ingress/raw-store';
import { localEvidenceStore } from '../../activities/evidence';
import { testKeys } from '../support/temporal';
import { sourceAuthFrom } from '../../ingress/alerts/auth';
import { normalise } from '../../ingress/alerts/normalise';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { WEBHOOK_SOURCE_SPECS } from '../../ingress/alerts/sources';
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
  github: ['github-ping', 'github-secret-scanning', 'github-dependabot', 'github-dependabot-fixed'],
  eventbridge: ['eventbridge-access-analyzer', 'eventbridge-securityhub', 'eventbridge-config', 'eventbridge-inspector', 'eventbridge-inspector-closed'],
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
          alerts = parseDelivery(WEBHOOK_SOURCE_SPECS[source], Buffer.from(body, 'latin1'));
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

/** The real ingress app in-process, over a client that fails any use and real stores in a fresh folder. */
function edge(overrides: Partial<IngressDeps> = {}) {
  // A client whose every use throws: reaching Temporal would surface as a 500, failing the test.
  const unusable = new Proxy({} as Client, {
    get: () => {
      throw new Error('Temporal must not be reached for a refused delivery');
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'tq-fuzz-'));
  const audit = memoryAudit();
  const metrics = createMetrics();
  const app = createIngressApp({
    client: unusable,
    taskQueue: 'tourniquet',
    rawStore: evidenceRawStore(localEvidenceStore(join(dataDir, 'evidence'), testKeys())),
    deliveryIds: localDeliveryIds(join(dataDir, 'delivery-ids')),
    maxBodyBytes: 64 * 1024,
    bodyTimeoutMs: 10_000,
    sourceAuth: sourceAuthFrom(parseConfig({})),
    audit,
    metrics,
    ...overrides,
  });
  /** Every file either store wrote: a refused delivery leaves none. */
  const stored = () => (readdirSync(dataDir, { recursive: true, withFileTypes: true }) as Dirent[]).filter((e) => e.isFile()).map((e) => e.name);
  return { app, audit, metrics, stored };
}

test('the route answers every mutated delivery with a 4xx before reaching Temporal', async () => {
  const { app, audit, stored } = edge();
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
  expect(stored()).toEqual([]);
});

// ---- what the README's "Alert sources" refuses, class by class --------------------------------

const GOOD = { kind: 'LeakedAccessKey', severity: 'high', title: 'key posted', subject: { principal: 'svc-export' }, labels: { team: 'api' } };
/** Well-formed in every way but its shape: a 422 proves the delivery passed every check before. */
const MISSHAPEN = JSON.stringify({ ...GOOD, severity: 'loud' });
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => Buffer.from(p as string)));
const generic = (extra: string) => `{"kind":"X","severity":"high","title":"t",${extra}}`;

/** A lone surrogate as UTF-8 would encode it if it could (WTF-8, CESU-8): ED A0 80 for U+D800. */
const surrogateBytes = (cp: number) => [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];

const REFUSED: [what: string, body: string | Buffer, status: number, code: string][] = [
  ['an object-valued __proto__ label', generic('"labels":{"__proto__":{"team":"api"}}'), 400, 'forbidden_key'],
  ['a string-valued __proto__ label', generic('"labels":{"__proto__":"x"}'), 400, 'forbidden_key'],
  ['constructor inside the subject', generic('"subject":{"principal":"p","constructor":{"prototype":{}}}'), 400, 'forbidden_key'],
  ['prototype at the top level', generic('"prototype":{}'), 400, 'forbidden_key'],
  ['__proto__ inside an alert of a batch', `{"alerts":[${generic('"labels":{}')},${generic('"labels":{"a":"b","__proto__":{}}')}]}`, 400, 'forbidden_key'],
  ['a number as a label value', generic('"labels":{"team":7}'), 422, 'invalid_payload'],
  ['an object as a label value', generic('"labels":{"team":{"name":"api"}}'), 422, 'invalid_payload'],
  ['null as a label value', generic('"labels":{"team":null}'), 422, 'invalid_payload'],
  ['a list as the labels', generic('"labels":["team","api"]'), 422, 'invalid_payload'],
  ['a byte-order mark', bytes([0xef, 0xbb, 0xbf], JSON.stringify(GOOD)), 400, 'invalid_encoding'],
  ['an escaped lone high surrogate', generic('"labels":{"team":"a\\ud800b"}'), 400, 'invalid_encoding'],
  ['an escaped lone low surrogate', generic('"labels":{"team":"\\udc00"}'), 400, 'invalid_encoding'],
  ['a surrogate pair the wrong way round', '{"kind":"X","severity":"high","title":"\\ude00\\ud83d"}', 400, 'invalid_encoding'],
  ['an escaped lone surrogate in a key', generic('"labels":{"te\\udbffam":"api"}'), 400, 'invalid_encoding'],
  ['a lone surrogate as raw bytes', bytes('{"kind":"X","severity":"high","title":"a', surrogateBytes(0xd800), '"}'), 400, 'invalid_encoding'],
  ['a surrogate pair as raw bytes (CESU-8)', bytes('{"kind":"X","severity":"high","title":"', surrogateBytes(0xd83d), surrogateBytes(0xde00), '"}'), 400, 'invalid_encoding'],
  ['invalid UTF-8', bytes('{"kind":"X","severity":"high","title":"', [0xc3, 0x28], '"}'), 400, 'invalid_encoding'],
  ['an overlong encoding of "/"', bytes('{"kind":"X","severity":"high","title":"', [0xc0, 0xaf], '"}'), 400, 'invalid_encoding'],
  ['a body in UTF-16', Buffer.from(JSON.stringify(GOOD), 'utf16le'), 400, 'malformed_json'],
  ['nesting 70 deep', generic(`"labels":${'['.repeat(70)}${']'.repeat(70)}`), 400, 'too_deep'],
];

describe('input the README refuses, refused at the edge: counted, audited, nothing stored or started', () => {
  test.each(REFUSED)('%s', async (_what, body, status, code) => {
    const { app, audit, metrics, stored } = edge();
    const res = await app.request('/alerts/generic', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([status, code]);
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({ what: 'alert.rejected', why: { reason: code }, details: { status } });
    // The audit record is strict JSON: JSON.stringify would write a lone surrogate as a bare \udXXX escape.
    expect(JSON.stringify(audit.events[0])).not.toMatch(/(?<!\\)\\u[dD][89a-fA-F]/);
    expect(await metrics.registry.getSingleMetricAsString('tourniquet_alerts_rejected_total')).toContain(`source="generic",reason="${code}"} 1`);
    expect(stored()).toEqual([]);
  });

  test.each([
    'application/json; charset=utf-16',
    'application/json; charset=UTF-16LE',
    'application/json;charset="iso-8859-1"',
    'application/json; charset=utf-8; charset=utf-16',
    'application/ json',
    'application /json',
    'application/json; charset = utf-8',
    'application/json; charset=',
    'application/json; charset="utf-8',
    'application/json, text/plain',
    'text/json',
    'application/jsonx',
    'application/json-seq',
    'text/plain;charset=UTF-8',
  ])('Content-Type %j → 415', async (type) => {
    const { app, audit, stored } = edge();
    const res = await app.request('/alerts/generic', { method: 'POST', body: JSON.stringify(GOOD), headers: { 'content-type': type } });
    expect(res.status).toBe(415);
    expect(audit.events[0]).toMatchObject({ what: 'alert.rejected', why: { reason: 'unsupported_media_type' } });
    expect(stored()).toEqual([]);
  });

  test('no Content-Type at all → 415', async () => {
    const { app } = edge();
    // A byte body gets no default type (a string body would be labelled text/plain).
    const res = await app.request('/alerts/generic', { method: 'POST', body: Buffer.from(JSON.stringify(GOOD)) });
    expect(res.status).toBe(415);
  });

  test.each([
    'application/json',
    'APPLICATION/JSON',
    'Application/Json; Charset=UTF-8',
    'application/json; charset=utf-8',
    'application/json;charset="utf-8"',
    'application/json ; charset=utf8',
    ' application/json',
    'application/json\t',
    'application/json; foo=bar',
    'application/json;',
  ])('Content-Type %j is application/json: the delivery goes on to be parsed', async (type) => {
    const { app } = edge();
    const res = await app.request('/alerts/generic', { method: 'POST', body: MISSHAPEN, headers: { 'content-type': type } });
    expect(res.status).toBe(422);
  });

  test('any spelling of application/json in UTF-8 passes; any other charset is 415', async () => {
    const { app } = edge();
    const casing = (word: string) => fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((up) => [...word].map((ch, i) => (up[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''));
    const ows = fc.constantFrom('', ' ', '\t', '  ');
    const charset = (value: fc.Arbitrary<string>) =>
      fc.tuple(ows, ows, casing('charset'), value, fc.boolean()).map(([a, b, name, v, quoted]) => `${a};${b}${name}=${quoted ? `"${v}"` : v}`);
    const utf8 = fc.oneof(casing('utf-8'), casing('utf8'));
    const other = fc.constantFrom('utf-16', 'UTF-16BE', 'utf-32', 'iso-8859-1', 'latin1', 'us-ascii', 'windows-1252', 'utf-7', 'shift_jis');
    await fc.assert(
      fc.asyncProperty(casing('application'), casing('json'), fc.option(charset(utf8)), async (type, sub, param) => {
        const res = await app.request('/alerts/generic', { method: 'POST', body: MISSHAPEN, headers: { 'content-type': `${type}/${sub}${param ?? ''}` } });
        return res.status === 422;
      }),
      { numRuns: 200, seed: 9110 },
    );
    await fc.assert(
      fc.asyncProperty(casing('application'), charset(other), async (type, param) => {
        const res = await app.request('/alerts/generic', { method: 'POST', body: MISSHAPEN, headers: { 'content-type': `${type}/json${param}` } });
        return res.status === 415;
      }),
      { numRuns: 200, seed: 8259 },
    );
  });

  test('a body that stops half-way times out with 408, audited, nothing stored or started', async () => {
    const { app, audit, stored } = edge({ bodyTimeoutMs: 300 });
    const half = JSON.stringify(GOOD).slice(0, 20);
    const stalled = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode(half)),
      // never closes: the sender went quiet
    });
    const started = Date.now();
    const res = await app.request('/alerts/generic', {
      method: 'POST',
      body: stalled,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(408);
    expect(res.headers.get('connection')).toBe('close');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(audit.events[0]).toMatchObject({ what: 'alert.rejected', why: { reason: 'body_timeout' }, details: { status: 408 } });
    expect(stored()).toEqual([]);
  });
});

/** A fixture with something put in at a random place: JSON text, as a sender would send it. */
function injected(source: WebhookSource, build: (doc: Json, objects: (string | number)[][], strings: (string | number)[][]) => fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.constantFrom(...FIXTURES[source]).chain((name) => {
    const doc = JSON.parse(fixture(name)) as Json;
    const all = paths(doc);
    const kind = (p: (string | number)[]) => p.reduce<Json | undefined>((node, k) => (node as Record<string, Json>)?.[k as string], doc);
    const objects = all.filter((p) => { const v = kind(p); return typeof v === 'object' && v !== null && !Array.isArray(v); });
    const strings = all.filter((p) => typeof kind(p) === 'string');
    return build(doc, objects, strings);
  });
}

describe.each(WEBHOOK_SOURCES)('%s parser: unclean JSON anywhere in a documented payload', (source) => {
  const refusedWith = (code: string) => (body: Buffer) => {
    try {
      parseDelivery(WEBHOOK_SOURCE_SPECS[source], body);
    } catch (err) {
      if (err instanceof HttpError && err.status === 400 && err.code === code) return;
      throw err;
    }
    throw new Error(`accepted: ${body.toString('latin1').slice(0, 200)}`);
  };

  test('a prototype key at any depth is 400 forbidden_key', () => {
    const MARK = 'zz-injected-key';
    const body = injected(source, (doc, objects) =>
      fc.tuple(fc.constantFrom(...objects), fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.jsonValue() as fc.Arbitrary<Json>).map(([at, key, value]) =>
        // Set under a marker, then renamed in the text: assigning "__proto__" on an object would set its prototype.
        Buffer.from(JSON.stringify(setAt(doc, [...at, MARK], value)).replace(`"${MARK}"`, JSON.stringify(key))),
      ),
    );
    fc.assert(fc.property(body, refusedWith('forbidden_key')), { numRuns: 300, seed: 1 + source.length });
  });

  test('a lone surrogate in any string or key, escaped or as bytes, is 400 invalid_encoding', () => {
    const MARK = 'zz-surrogate-here';
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff });
    const body = injected(source, (doc, objects, strings) =>
      fc
        .tuple(fc.constantFrom(...strings.map((at) => ({ at, value: `a${MARK}b` })), ...objects.map((at) => ({ at: [...at, MARK], value: 'v' }))), surrogate, fc.boolean())
        .map(([{ at, value }, cp, asBytes]) => {
          // In a string value, or (for an object) in a new key: the marker appears once either way.
          const [before, after] = JSON.stringify(setAt(doc, at, value)).split(MARK) as [string, string];
          return asBytes ? bytes(before, surrogateBytes(cp), after) : Buffer.from(`${before}\\u${cp.toString(16)}${after}`);
        }),
    );
    fc.assert(fc.property(body, refusedWith('invalid_encoding')), { numRuns: 300, seed: 2 + source.length });
  });

  test('a byte-order mark before any documented payload is 400 invalid_encoding', () => {
    for (const name of FIXTURES[source]) refusedWith('invalid_encoding')(bytes([0xef, 0xbb, 0xbf], fixture(name)));
  });
});
