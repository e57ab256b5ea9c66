/**
 * /metrics on a running stack: alert webhooks accepted and rejected by source and reason, and the
 * figures read from Temporal at scrape time — incidents by status, approvals pending, playbook step
 * durations — then breach-clock deadlines from a clock's view; with a scrape token, only for a
 * scraper presenting it.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { createIngressApp, ingressDepsFrom, type RunningServer } from '../../ingress';
import { clockRow, type Snapshot } from '../../ingress/dashboard/snapshot';
import { createMetrics } from '../../ingress/metrics';
import { metricsCollector } from '../../ingress/metrics-collector';
import type { Config } from '../../platform/config';
import { approveUpdate, stateQuery } from '../../workflows/definitions';
import { httpTarget } from '../support/http-target';
import { postSignedAlert, stackSettings, startIngress } from '../support/ingress-stack';
import { lifecycleRunbooks, waitFor } from '../support/runbooks';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { testGrants } from '../support/decisions';

const prove = testGrants({ responders: ['U1', 'U2'] });

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let server: RunningServer;
let target: Awaited<ReturnType<typeof httpTarget>>;

/** The value of one sample line, e.g. `tourniquet_incidents{status="contained"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (wanted.every((w) => labelPart.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const scrape = async () => {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
};

beforeAll(async () => {
  target = await httpTarget((path) => (path === '/reject' ? 400 : 200));
  const runbooksDir = lifecycleRunbooks(target.url);
  config = testConfig(stackSettings({ runbooksDir }));
  env = await startDevServer(config);
  const activities = createActivities(testActivityDeps({ runbooksDir, approverGroups: { responders: ['U1', 'U2'] } }));
  stopWorker = (await startWorker(env, config, activities)).stop;
  ({ server } = await startIngress(env, config));
});

afterAll(async () => {
  await server?.close();
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
});

test('webhook deliveries are counted by source, and refusals by reason', async () => {
  const alert = { kind: 'OkMetric', title: 't', severity: 'low', subject: { principal: 'svc-export' } };
  expect((await postSignedAlert(server.url, alert)).status).toBe(202);
  expect((await postSignedAlert(server.url, { kind: 'OkMetric', title: 't', severity: 'low' }, 'a-different-secret-entirely-xx')).status).toBe(401);
  expect((await postSignedAlert(server.url, { kind: 'OkMetric', severity: 'low' })).status).toBe(422);
  const text = await scrape();
  expect(sample(text, 'tourniquet_alerts_accepted_total', { source: 'generic' })).toBe(1);
  const rejected = text.split('\n').filter((l) => l.startsWith('tourniquet_alerts_rejected_total{'));
  expect(rejected).toHaveLength(2);
  expect(rejected.every((l) => l.includes('source="generic"') && l.endsWith(' 1'))).toBe(true);

  // Made-up sources are one series, "unknown", however many paths are tried.
  for (const path of ['made-up-1', 'made-up-2', 'made-up-3']) {
    const res = await fetch(`${server.url}/alerts/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
  }
  const after = await scrape();
  expect(after).not.toContain('made-up');
  expect(sample(after, 'tourniquet_alerts_rejected_total', { source: 'unknown', reason: 'unknown_source' })).toBe(3);
});

test('incidents by status, approvals pending and step durations come from Temporal on scrape', async () => {
  const post = async (kind: string) => {
    const res = await postSignedAlert(server.url, { kind, title: kind, severity: 'high', subject: { principal: 'svc-export' } });
    return ((await res.json()) as { incidents: string[] }).incidents[0]!;
  };
  const ok = await post('OkStep');
  const gated = await post('GatedStep');
  const state = (id: string) => env.client.workflow.getHandle(id).query(stateQuery);
  await waitFor(() => state(ok), (s) => s.status === 'contained');
  const waiting = await waitFor(() => state(gated), (s) => s.steps[0]?.status === 'awaiting-approval');

  let text = await scrape();
  expect(sample(text, 'tourniquet_metrics_temporal_up')).toBe(1);
  // The first test's incident and OkStep are contained; GatedStep is containing.
  await waitFor(scrape, (t) => sample(t, 'tourniquet_incidents', { status: 'contained' }) === 2, 'contained count');
  text = await scrape();
  expect(sample(text, 'tourniquet_incidents', { status: 'containing' })).toBe(1);
  expect(sample(text, 'tourniquet_incidents', { status: 'resolved' })).toBe(0);
  expect(sample(text, 'tourniquet_approvals_pending', { step_type: 'webhook' })).toBe(1);
  expect(sample(text, 'tourniquet_playbook_step_seconds_count', { step_type: 'webhook', status: 'succeeded' })).toBe(2);

  // A second scrape does not count the same finished steps again.
  text = await scrape();
  expect(sample(text, 'tourniquet_playbook_step_seconds_count', { step_type: 'webhook', status: 'succeeded' })).toBe(2);

  const handle = env.client.workflow.getHandle(gated);
  const planHash = waiting.steps[0]!.planHash!;
  for (const by of ['U1', 'U2']) {
    await handle.executeUpdate(approveUpdate, { args: [{ proof: prove(by, 'approve', handle.workflowId, { subject: { stepId: 'risky', planHash: planHash } }), stepId: 'risky', justification: 'contain', planHash }] });
  }
  await waitFor(() => state(gated), (s) => s.status === 'contained');
  text = await scrape();
  expect(sample(text, 'tourniquet_approvals_pending', { step_type: 'webhook' })).toBeUndefined();
  expect(sample(text, 'tourniquet_incidents', { status: 'contained' })).toBe(3);
  expect(sample(text, 'tourniquet_playbook_step_seconds_count', { step_type: 'webhook', status: 'succeeded' })).toBe(3);
});

test('breach-clock deadlines: seconds left per open obligation, overdue ones counted', async () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const view = {
    id: 'breach-clock/abc',
    incidentId: 'incident/abc',
    status: 'open',
    obligations: [
      { id: 'individuals', notifies: 'affected individuals', rule: '164.404(b)', dueAt: now + 10 * 86_400_000, status: 'pending' },
      { id: 'media:CA', notifies: 'media in CA', rule: '164.406', dueAt: now - 86_400_000, status: 'overdue' },
      { id: 'hhs', notifies: 'the Secretary', rule: '164.408', dueAt: now + 86_400_000, status: 'sent' },
    ],
  };
  const metrics = createMetrics();
  const snapshot: Snapshot = {
    takenAt: new Date(now).toISOString(),
    open: [],
    closed: [],
    byStatus: { open: 0, containing: 0, contained: 0, resolved: 0, 'closed-no-action': 0 },
    access: [],
    reviews: [],
    clocks: [clockRow(view.id, view), clockRow('breach-clock/unreadable', { obligations: 'not a list' })],
  };
  metricsCollector(metrics)(snapshot, now);
  const text = await metrics.registry.metrics();
  expect(sample(text, 'tourniquet_breach_clock_deadline_seconds', { clock: 'breach-clock/abc', obligation: 'affected individuals (164.404(b))' })).toBe(10 * 86_400);
  expect(sample(text, 'tourniquet_breach_clock_deadline_seconds', { clock: 'breach-clock/abc', obligation: 'media in CA (164.406)' })).toBe(-86_400);
  expect(text).not.toContain('the Secretary'); // sent: no longer a deadline
  expect(sample(text, 'tourniquet_breach_clock_obligations_overdue')).toBe(1);
  expect(snapshot.clocks[1]).toEqual({ id: 'breach-clock/unreadable', obligations: [] });
});

test('with a scrape token configured, /metrics answers only a scraper presenting it', async () => {
  const token = 'scrape-token-0123456789';
  const guarded = createIngressApp(ingressDepsFrom(testConfig({ ...stackSettings({}), metrics: { token } }), env.client, { audit: memoryAudit(), metrics: createMetrics() }));
  const none = await guarded.request('/metrics');
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tourniquet-metrics"');
  expect(await none.text()).not.toContain('tourniquet_');
  expect((await guarded.request('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  const scraped = await guarded.request('/metrics', { headers: { authorization: `Bearer ${token}` } });
  expect(scraped.status).toBe(200);
  expect(await scraped.text()).toContain('tourniquet_metrics_temporal_up 1');
  // The open endpoint of the stack without a token still answers (the default).
  expect(await scrape()).toContain('tourniquet_metrics_temporal_up');
});
