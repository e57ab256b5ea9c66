/**
 * Alert ingress end to end: real-format payloads posted over a real socket to the ingress, backed
 * by a Temporal dev server and a worker. Alerts open incidents with the right runbook, retries and
 * storms collapse, resolved alerts are recorded, and every bad-input class is refused with its
 * status, audited, and starts nothing.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { reviewId } from '../../domain/ids';
import { createIngressApp, ingressDepsFrom, listen, type RunningServer } from '../../ingress';
import { createMetrics, type Metrics } from '../../ingress/metrics';
import type { Config } from '../../platform/config';
import { resolveUpdate, stateQuery } from '../../workflows/definitions';
import { fixture, signatureHeaders } from '../fixtures/alerts';
import { waitFor } from '../support/runbooks';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove } from '../support/decisions';

jest.setTimeout(120_000);

const SECRET = { generic: 'generic-secret-000000000000000000', pagerduty: 'pagerduty-secret-0000000000000000', grafana: 'grafana-secret-00000000000000000' };
const TOKEN = { alertmanager: 'alertmanager-token-00000000000000', datadog: 'datadog-token-0000000000000000000', guardduty: 'guardduty-token-00000000000000000' };

/** One runbook per source, each matching that source's fixture; anything else falls to triage. */
function sourceRunbooks(): string {
  const dir = join(tmpdir(), `tq-alert-runbooks-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(dir, 'triage.yaml'));
  const rule = (id: string, source: string, kind: string, extra = '') =>
    writeFileSync(
      join(dir, `${id}.yaml`),
      `id: ${id}\ntitle: ${id}\nmatch: [{ sources: [${source}], kinds: ["${kind}"]${extra} }]\nsteps:\n  - { id: tell, type: notify, with: { text: "\${alert.kind}" } }\n`,
    );
  rule('phi-export', 'alertmanager', 'ExportVolume*', ', labels: { team: api }');
  rule('edge-flood', 'grafana', 'EdgeRequestFlood');
  rule('kms-deletion', 'pagerduty', '*KMS key scheduled*', ', minSeverity: high');
  rule('kms-decrypt', 'datadog', 'KMS decrypt*');
  rule('credential-compromise', 'guardduty', 'UnauthorizedAccess:IAMUser/*');
  rule('leaked-key', 'generic', 'LeakedAccessKey');
  return dir;
}

let env: TestWorkflowEnvironment;
let config: Config;
let server: RunningServer;
let metrics: Metrics;
let stopWorker: () => Promise<void>;
const audit = memoryAudit();

beforeAll(async () => {
  const runbooksDir = sourceRunbooks();
  config = testConfig({
    runbooksDir,
    ingress: { maxBodyBytes: 64 * 1024, bodyTimeoutMs: 1_500 },
    sources: {
      generic: { hmacSecret: SECRET.generic },
      pagerduty: { hmacSecret: SECRET.pagerduty },
      grafana: { hmacSecret: SECRET.grafana },
      alertmanager: { bearerToken: TOKEN.alertmanager },
      datadog: { bearerToken: TOKEN.datadog },
      guardduty: { bearerToken: TOKEN.guardduty },
    },
  });
  env = await startDevServer(config);
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ runbooksDir })))).stop;
  metrics = createMetrics();
  const app = createIngressApp(ingressDepsFrom(config, env.client, { audit, metrics }));
  server = await listen(app, '127.0.0.1', 0);
});

afterAll(async () => {
  await server?.close();
  await stopWorker?.();
  await env?.teardown();
});

type Headers = Record<string, string>;

/** How each source authenticates in this test's configuration. */
function credentials(source: string, body: string): Headers {
  switch (source) {
    case 'generic':
      return signatureHeaders.generic(SECRET.generic, body);
    case 'pagerduty':
      return signatureHeaders.pagerduty([SECRET.pagerduty], body);
    case 'grafana':
      return signatureHeaders.grafana(SECRET.grafana, body, Math.floor(Date.now() / 1000));
    default:
      return { authorization: `Bearer ${TOKEN[source as keyof typeof TOKEN]}` };
  }
}

async function post(source: string, body: string, headers: Headers = credentials(source, body)) {
  const res = await fetch(`${server.url}/alerts/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as { accepted?: number; incidents?: string[]; error?: string; message?: string } };
}

const state = (incidentId: string) => env.client.workflow.getHandle(incidentId).query(stateQuery);

async function allWorkflowIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list()) ids.push(wf.workflowId);
  return ids.sort();
}

async function settledRunbook(incidentId: string) {
  return waitFor(() => state(incidentId), (s) => s.runbookDone === true && s.runbook !== undefined, `${incidentId} runbook done`);
}

test.each([
  ['alertmanager', 'phi-export', 'alertmanager', 3],
  ['grafana', 'edge-flood', 'grafana', 2],
  ['pagerduty', 'kms-deletion', 'pagerduty-triggered', 1],
  ['datadog', 'kms-decrypt', 'datadog', 1],
  ['guardduty', 'credential-compromise', 'guardduty', 1],
  ['generic', 'leaked-key', 'generic', 2],
])('%s: a documented payload opens its incident with runbook %s', async (source, runbook, name, alerts) => {
  const body = fixture(name);
  const { status, json } = await post(source, body);
  expect(status).toBe(202);
  expect(json.accepted).toBe(alerts);
  const first = await settledRunbook(json.incidents![0]!);
  expect(first.runbook!.id).toBe(runbook);
  // The stored alert carries a reference to the raw payload, never the payload itself.
  expect(first.alerts[0]!.rawRef).toMatch(new RegExp(`^raw/${source}/[0-9a-f]{64}$`));
  expect(JSON.stringify(first)).not.toContain('"body"');
});

test('an alert no runbook matches opens a triage incident', async () => {
  const body = JSON.stringify({ kind: 'OddPattern', severity: 'low', title: 'something odd', subject: { service: 'billing' } });
  const { status, json } = await post('generic', body);
  expect(status).toBe(202);
  expect((await settledRunbook(json.incidents![0]!)).runbook!.id).toBe('triage');
});

test('a retried delivery attaches once, and a storm of one kind is one incident', async () => {
  const alert = (i: number) => ({ id: `storm-${i}`, kind: 'LeakedAccessKey', severity: 'high', title: 'key in a paste', subject: { principal: 'svc-storm', accessKeyId: 'AKIASTORM' } });
  const once = JSON.stringify(alert(0));
  const first = await post('generic', once);
  const retried = await post('generic', once); // sender retry: identical body, fresh signature
  expect(retried.json.incidents).toEqual(first.json.incidents);
  const incidentId = first.json.incidents![0]!;
  const accepted = audit.events.filter((e) => e.what === 'alert.accepted' && e.why.incident === incidentId);
  expect(accepted).toHaveLength(2); // each delivery is audited, the retry too, though it attaches once
  expect(JSON.stringify(accepted[0]!.details)).toContain('raw/generic/');
  await settledRunbook(incidentId);

  const storm = await Promise.all(Array.from({ length: 40 }, (_, i) => post('generic', JSON.stringify(alert(i + 1)))));
  expect(storm.every((r) => r.status === 202 && r.json.incidents![0] === incidentId)).toBe(true);
  const s = await waitFor(() => state(incidentId), (x) => x.alertCount >= 41, 'storm attached');
  await new Promise((r) => setTimeout(r, 300));
  expect((await state(incidentId)).alertCount).toBe(41);
  expect(s.runbook!.id).toBe('leaked-key');
  const runs: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${incidentId}'` })) runs.push(wf.runId);
  expect(runs).toHaveLength(1);
});

test.each([
  ['pagerduty', 'pagerduty-triggered', 'pagerduty-resolved'],
  ['datadog', 'datadog', 'datadog-recovered'],
])('%s: the resolved alert is recorded on the incident the firing one opened', async (source, firing, resolved) => {
  const opened = await post(source, fixture(firing));
  const incidentId = opened.json.incidents![0]!;
  await settledRunbook(incidentId);
  const closed = await post(source, fixture(resolved));
  expect(closed.json.incidents).toEqual([incidentId]);
  const s = await waitFor(() => state(incidentId), (x) => x.resolvedAlerts === 1, 'resolved alert recorded');
  expect(s.alertCount).toBe(2);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidentId), reason: 'source resolved' }] });
  // Resolving opens the post-incident review; it is listed before the next test counts workflows.
  await waitFor(allWorkflowIds, (ids) => ids.includes(reviewId(incidentId)), `${reviewId(incidentId)} listed`);
});

test('a resolved alert with no running incident is accepted and opens nothing', async () => {
  const before = await allWorkflowIds();
  const body = JSON.stringify({ id: 'late-ok', kind: 'LeakedAccessKey', severity: 'high', status: 'resolved', title: 'all clear', subject: { principal: 'svc-never-fired' } });
  const { status, json } = await post('generic', body);
  expect(status).toBe(202);
  expect(json).toEqual({ accepted: 1, incidents: [] });
  expect(await allWorkflowIds()).toEqual(before);
});

test('a PagerDuty event that is not an alert is accepted and starts nothing', async () => {
  const before = await allWorkflowIds();
  const { status, json } = await post('pagerduty', fixture('pagerduty-ping'));
  expect(status).toBe(202);
  expect(json).toEqual({ accepted: 0, incidents: [] });
  expect(await allWorkflowIds()).toEqual(before);
});

/**
 * A body streamed without Content-Length, so only the limit enforced while reading can stop it.
 * Resolves with the status once the ingress answers (and checks it closes the connection rather
 * than read the rest).
 */
function postChunked(path: string, chunks: number, headers: Headers): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...headers } });
    req.on('response', (res) => {
      res.resume();
      if (res.headers.connection !== 'close') reject(new Error(`answered ${res.statusCode} and kept the connection open (connection: ${res.headers.connection})`));
      else resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    req.write('{"kind":"x","pad":"');
    let i = 0;
    const more = () => {
      while (i < chunks) {
        i += 1;
        if (!req.write(chunk)) return void req.once('drain', more);
      }
      req.end('"}');
    };
    more();
  });
}

/**
 * Headers promise 200 bytes, 40 arrive, then nothing: the sender hangs. Resolves with the status
 * line's code once the ingress answers (and checks it closes the connection rather than wait on).
 */
function postHalf(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    const started = Date.now();
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      if (Date.now() - started < 1_400) reject(new Error(`answered after ${Date.now() - started} ms, before the body timeout`));
      else resolve(status);
    });
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`);
    socket.write('{"kind":"LeakedAccessKey","severity":"hi');
  });
}

/** Every file under the evidence store's raw payloads and the delivery id folder (temporary files included). */
function storedFiles(): string[] {
  return ['evidence/raw', 'delivery-ids'].flatMap((folder) => {
    const at = join(config.dataDir, folder);
    return existsSync(at) ? (readdirSync(at, { recursive: true }) as string[]).map((f) => `${folder}/${f}`).sort() : [];
  });
}

test('every bad-input class is refused with its status, audited, and starts nothing', async () => {
  const before = await allWorkflowIds();
  const storedBefore = storedFiles();
  const auditedBefore = audit.events.length;
  const body = fixture('generic');
  const now = Math.floor(Date.now() / 1000);
  const big = JSON.stringify({ kind: 'X', severity: 'high', title: 'x'.repeat(70 * 1024) });
  const cases: [string, () => Promise<number>, number, string][] = [
    ['unknown source', async () => (await post('nagios', body, {})).status, 404, 'unknown_source'],
    ['declared too large', async () => (await post('generic', big)).status, 413, 'too_large'],
    ['streamed too large', () => postChunked('/alerts/generic', 8, credentials('generic', 'irrelevant')), 413, 'too_large'],
    [
      'not JSON',
      async () => (await fetch(`${server.url}/alerts/generic`, { method: 'POST', headers: { 'content-type': 'text/plain', ...credentials('generic', body) }, body })).status,
      415,
      'unsupported_media_type',
    ],
    ['malformed JSON', async () => (await post('generic', '{"kind": ')).status, 400, 'malformed_json'],
    ['a charset other than UTF-8', async () => (await post('generic', body, { 'content-type': 'application/json; charset=utf-16', ...credentials('generic', body) })).status, 415, 'unsupported_media_type'],
    ['a byte-order mark', async () => (await post('generic', `\ufeff${body}`)).status, 400, 'invalid_encoding'],
    ['a lone surrogate, escaped', async () => (await post('generic', body.replace('"LeakedAccessKey"', '"Leaked\\ud800"'))).status, 400, 'invalid_encoding'],
    ['an object-valued __proto__ label', async () => (await post('generic', body.replace('"labels": {', '"labels": { "__proto__": { "team": "api" },'))).status, 400, 'forbidden_key'],
    ['a body that stops half-way', () => postHalf('/alerts/generic'), 408, 'body_timeout'],
    ['unknown shape', async () => (await post('alertmanager', JSON.stringify({ hello: 'world' }))).status, 422, 'invalid_payload'],
    ['a GuardDuty event that is not a finding', async () => (await post('guardduty', fixture('guardduty').replace('GuardDuty Finding', 'GuardDuty Runtime Protection Unhealthy'))).status, 422, 'invalid_payload'],
    ['unsigned', async () => (await post('generic', body, {})).status, 401, 'unauthorized'],
    ['signed with another secret', async () => (await post('pagerduty', fixture('pagerduty-triggered'), signatureHeaders.pagerduty(['not-the-secret-0000000000000'], fixture('pagerduty-triggered')))).status, 401, 'unauthorized'],
    ['signed too long ago', async () => (await post('generic', body, signatureHeaders.generic(SECRET.generic, body, now - 301))).status, 401, 'unauthorized'],
    ['wrong bearer token', async () => (await post('datadog', fixture('datadog'), { authorization: `Bearer ${TOKEN.guardduty}` })).status, 401, 'unauthorized'],
  ];
  for (const [what, send, expected, code] of cases) {
    expect([what, await send()]).toEqual([what, expected]);
    expect([what, audit.events.at(-1)?.why.reason]).toEqual([what, code]);
  }
  const rejections = audit.events.slice(auditedBefore);
  expect(rejections).toHaveLength(cases.length);
  expect(rejections.every((e) => e.what === 'alert.rejected' && e.where === '127.0.0.1' && !JSON.stringify(e).includes('svc-export'))).toBe(true);
  // The sender's request id ties its retry logs to the audit record.
  const traced = await fetch(`${server.url}/alerts/generic`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'sender-req-42' }, body });
  expect(traced.status).toBe(401);
  expect(traced.headers.get('x-request-id')).toBe('sender-req-42');
  expect(audit.events.at(-1)).toMatchObject({ what: 'alert.rejected', correlationId: 'sender-req-42' });
  expect(await allWorkflowIds()).toEqual(before);
  expect(storedFiles()).toEqual(storedBefore);
  const rejected = await metrics.registry.getSingleMetricAsString('tourniquet_alerts_rejected_total');
  // two of the cases above and the traced one
  expect(rejected).toMatch(/source="generic",reason="unauthorized"} 3/);
  expect(await metrics.registry.getSingleMetricAsString('tourniquet_alerts_accepted_total')).toMatch(/source="guardduty"} 1/);
});

test('a signed delivery whose sender hangs up half-way stores nothing, starts nothing, and the same delivery sent whole is accepted', async () => {
  const body = JSON.stringify({ kind: 'LeakedAccessKey', severity: 'high', title: 'cut short', subject: { principal: 'svc-hangup', accessKeyId: 'AKIAHANGUP' } });
  const before = await allWorkflowIds();
  const storedBefore = storedFiles();
  const auditedBefore = audit.events.length;
  await new Promise<void>((resolve, reject) => {
    const url = new URL('/alerts/generic', server.url);
    const socket = connect(Number(url.port), url.hostname, () => {
      const headers = Object.entries({ 'content-type': 'application/json', ...credentials('generic', body) }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers.join('')}\r\n`);
      socket.write(body.slice(0, 40), () => setTimeout(() => (socket.destroy(), resolve()), 100));
    });
    socket.on('error', reject);
  });
  await new Promise((r) => setTimeout(r, 300));
  expect(storedFiles()).toEqual(storedBefore);
  expect(await allWorkflowIds()).toEqual(before);
  expect(audit.events.slice(auditedBefore).filter((e) => e.what === 'alert.accepted')).toEqual([]);

  const whole = await post('generic', body);
  expect(whole.status).toBe(202);
  expect(whole.json.incidents).toHaveLength(1);
  expect(storedFiles().filter((f) => !storedBefore.includes(f))).toEqual([`evidence/raw/generic/${createHash('sha256').update(body).digest('hex')}`]);
  await settledRunbook(whole.json.incidents![0]!);
});

test('a sender id reused for a different alert is refused with 409, also after an ingress restart; never dropped silently', async () => {
  const alert = { id: 'reused-0001', kind: 'LeakedAccessKey', severity: 'high', title: 'key in a paste', subject: { principal: 'svc-reuse', accessKeyId: 'AKIAREUSE' } };
  const first = await post('generic', JSON.stringify(alert));
  expect(first.status).toBe(202);
  const incidentId = first.json.incidents![0]!;
  await settledRunbook(incidentId);
  // A retry of the same alert, even reworded, is the same alert: accepted, attached once.
  expect((await post('generic', JSON.stringify({ ...alert, title: 'key in a paste (re-sent)' }))).status).toBe(202);

  const before = await allWorkflowIds();
  const storedBefore = storedFiles();
  const other = { ...alert, subject: { principal: 'svc-other', accessKeyId: 'AKIAOTHER' } };
  const refused = await post('generic', JSON.stringify(other));
  expect(refused.status).toBe(409);
  expect(refused.json).toMatchObject({ error: 'delivery_id_conflict', message: expect.stringMatching(/^alert 0 reuses an id already accepted with different content/) });
  expect(audit.events.at(-1)).toMatchObject({ what: 'alert.rejected', why: { reason: 'delivery_id_conflict' }, details: { status: 409 } });

  // A new ingress process over the same data directory remembers the binding.
  const restarted = await listen(createIngressApp(ingressDepsFrom(config, env.client, { audit, metrics })), '127.0.0.1', 0);
  try {
    const body = JSON.stringify(other);
    const again = await fetch(`${restarted.url}/alerts/generic`, { method: 'POST', headers: { 'content-type': 'application/json', ...credentials('generic', body) }, body });
    expect(again.status).toBe(409);
  } finally {
    await restarted.close();
  }
  expect(await allWorkflowIds()).toEqual(before);
  expect(storedFiles()).toEqual(storedBefore);
  await new Promise((r) => setTimeout(r, 300));
  expect((await state(incidentId)).alertCount).toBe(1);
  expect(await metrics.registry.getSingleMetricAsString('tourniquet_alerts_rejected_total')).toMatch(/source="generic",reason="delivery_id_conflict"} 2/);
  // The sender's fix, a fresh id, goes through.
  expect((await post('generic', JSON.stringify({ ...other, id: 'reused-0002' }))).status).toBe(202);
});

test('Temporal unreachable: 503 so the sender retries, never a 4xx; the ledger shows it accepted, then not delivered', async () => {
  const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = createIngressApp(ingressDepsFrom(config, dead, { audit, metrics }));
  const cut = await listen(app, '127.0.0.1', 0);
  try {
    const body = fixture('generic');
    const res = await fetch(`${cut.url}/alerts/generic`, { method: 'POST', headers: { 'content-type': 'application/json', ...credentials('generic', body) }, body });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('temporal_unavailable');
    // Acceptance is recorded before delivery, so no alert ever reaches an incident without it.
    const requestId = res.headers.get('x-request-id');
    expect(audit.events.filter((e) => e.correlationId === requestId).map((e) => e.what)).toEqual(['alert.accepted', 'alert.not-delivered']);
  } finally {
    await cut.close();
  }
});
