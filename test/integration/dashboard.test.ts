/**
 * The dashboard against a running stack: a real Temporal dev server, a worker, and the ingress over
 * a socket, fed with signed alert webhooks. The API is checked for what it refuses and what it
 * shows; then Chromium (driven by playwright-core) loads the page and reads what a person sees.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser } from 'playwright-core';
import type { RunningServer } from '../../ingress';
import type { Config } from '../../platform/config';
import { breachClockId } from '../../domain/ids';
import { BREACH_CLOCK_WORKFLOW, clockQuery, type BreachClockInput } from '../../workflows/breach-clock-definitions';
import { assignRoleUpdate, resolveUpdate, stateQuery } from '../../workflows/definitions';
import { dashboardRoutes } from '../../ingress/dashboard/routes';
import { errorResponse } from '../../ingress/errors';
import { SnapshotReader } from '../../ingress/dashboard/snapshot';
import { createActivities } from '../../activities';
import { httpTarget } from '../support/http-target';
import { DASHBOARD_TOKEN, GENERIC_SECRET, postSignedAlert, stackSettings, startIngress } from '../support/ingress-stack';
import { lifecycleRunbooks, waitFor } from '../support/runbooks';
import { startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove } from '../support/decisions';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let server: RunningServer;
let target: Awaited<ReturnType<typeof httpTarget>>;
let browser: Browser;
let audit: Awaited<ReturnType<typeof startIngress>>['audit'];
const incidents: Record<'contained' | 'gated' | 'failing' | 'resolved', string> = { contained: '', gated: '', failing: '', resolved: '' };

async function alert(kind: string, title: string): Promise<string> {
  const res = await postSignedAlert(server.url, { kind, title, severity: 'high', subject: { principal: 'svc-export' } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { incidents: string[] }).incidents[0]!;
}

const api = (path: string, token = DASHBOARD_TOKEN) =>
  fetch(`${server.url}/dashboard/api${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  target = await httpTarget((path) => (path === '/reject' ? 400 : 200));
  const runbooksDir = lifecycleRunbooks(target.url);
  // This team lets generic alerts' titles show (masked); by default they are withheld.
  config = testConfig(stackSettings({ runbooksDir, sources: { generic: { hmacSecret: GENERIC_SECRET, showTitles: true } } }));
  env = await startDevServer(config);
  const activities = createActivities(testActivityDeps({ runbooksDir, approverGroups: { responders: ['U1', 'U2'] } }));
  stopWorker = (await startWorker(env, config, activities)).stop;
  ({ server, audit } = await startIngress(env, config));

  incidents.resolved = await alert('OkEarlier', 'an earlier alert, resolved since');
  incidents.contained = await alert('OkSignal', 'key used from a new country');
  incidents.gated = await alert('GatedExport', 'bulk export to jane.doe@example.org');
  incidents.failing = await alert('BrokenThing', 'SOAR call rejected');
  const state = (id: string) => env.client.workflow.getHandle(id).query(stateQuery);
  await waitFor(() => state(incidents.resolved), (s) => s.status === 'contained', 'first incident contained');
  await env.client.workflow.getHandle(incidents.resolved).executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incidents.resolved), reason: 'rotated' }] });
  await env.client.workflow.getHandle(incidents.resolved).result();
  await waitFor(() => state(incidents.contained), (s) => s.status === 'contained', 'incident contained');
  await waitFor(() => state(incidents.gated), (s) => s.steps[0]?.status === 'awaiting-approval', 'approval requested');
  await waitFor(() => state(incidents.failing), (s) => s.escalated, 'failure escalated');
  // The contained incident has a commander, and a breach clock a privacy officer started on it.
  await env.client.workflow
    .getHandle(incidents.contained)
    .executeUpdate(assignRoleUpdate, { args: [{ proof: prove('U1', 'role.assign', incidents.contained, { subject: { role: 'incident-commander', person: 'ana' } }), role: 'incident-commander', person: 'ana' }] });
  const clockId = breachClockId(incidents.contained);
  const started: BreachClockInput = {
    id: clockId,
    incidentId: incidents.contained,
    discoveredAt: '2026-11-30',
    started: { proof: prove('po', 'clock.start', clockId, { groups: ['privacy-officer'] }), reason: 'PHI involved after all' },
  };
  await env.client.workflow.start(BREACH_CLOCK_WORKFLOW, { taskQueue: config.temporal.taskQueue, workflowId: clockId, args: [started] });
  // Its query answers once its first workflow task has run.
  await waitFor(() => env.client.workflow.getHandle(clockId).query(clockQuery).catch(() => undefined), (v) => (v?.obligations.length ?? 0) > 0, 'clock obligations');

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
});

describe('the dashboard API', () => {
  test('refuses anyone without the token, and the page itself carries no incident data', async () => {
    expect((await api('/overview', '')).status).toBe(401);
    const wrong = await api('/overview', 'not-the-token-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
    expect((await api(`/incident?id=${encodeURIComponent(incidents.gated)}`, 'nope')).status).toBe(401);
    const page = await (await fetch(`${server.url}/dashboard`)).text();
    expect(page).toContain('Dashboard token');
    expect(page).not.toContain(incidents.gated);
    expect(page).not.toContain('bulk export');
  });

  test('shows open incidents with status, pending approvals, and response times', async () => {
    const res = await api('/overview');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      open: { id: string; status: string; title: string; escalated: boolean }[];
      pendingApprovals: { incidentId: string; stepId: string; plan: string[]; approvals: string[] }[];
      byStatus: Record<string, number>;
      clocks: unknown[];
      responseTimes: { openedAt: number[]; mttd: (number | null)[]; mttc: (number | null)[]; mttr: (number | null)[] };
    };
    const open = Object.fromEntries(body.open.map((r) => [r.id, r]));
    expect(open[incidents.contained]).toMatchObject({ status: 'contained' });
    expect(open[incidents.failing]).toMatchObject({ status: 'containing', escalated: true });
    expect(open[incidents.gated]).toMatchObject({ status: 'containing', title: 'bulk export to [email]' });
    expect(open[incidents.resolved]).toBeUndefined();
    expect(body.pendingApprovals).toEqual([
      expect.objectContaining({ incidentId: incidents.gated, stepId: 'risky', approvals: [], plan: [expect.stringContaining('/risky')] }),
    ]);
    expect(body.byStatus).toMatchObject({ resolved: 1, contained: 1, containing: 2 });
    expect(body.responseTimes.openedAt).toHaveLength(4);
    // The resolved incident has every figure; the others have not reached resolution.
    expect(body.responseTimes.mttr.filter((m) => m !== null)).toHaveLength(1);
    expect(body.responseTimes.mttc.filter((m) => m !== null)).toHaveLength(2);
    expect(body.responseTimes.mttd.every((m) => typeof m === 'number' && m >= 0)).toBe(true);
  });

  test('aggregates response times per release, every incident counted (these alerts carry no release label)', async () => {
    const body = (await (await api('/overview')).json()) as {
      mttxByRelease: { key: string; incidents: number; outcomes: Record<string, number>; measures: Record<string, { count: number } | undefined> }[];
    };
    expect(body.mttxByRelease).toEqual([expect.objectContaining({ key: 'unlabelled', incidents: 4 })]);
    const [group] = body.mttxByRelease;
    expect(group!.outcomes).toMatchObject({ resolved: 1, failed: 1 });
    expect(group!.measures.mttr?.count).toBe(1);
    expect(group!.measures.mttd?.count).toBe(4);
  });

  test('shows who holds which role, the step a runbook halted at, clocks by incident title and legal date, and reviews with their follow-ups', async () => {
    const body = (await (await api('/overview')).json()) as {
      open: { id: string; roles: Record<string, string>; halted?: string }[];
      clocks: { incidentId: string; title: string; obligations: { name: string; deadline: string; dueAt: string }[] }[];
      reviews: { incidentId: string; title?: string; review: string; followUps: { open: number; overdue: number; closed: number } }[];
    };
    const open = Object.fromEntries(body.open.map((r) => [r.id, r]));
    expect(open[incidents.contained]!.roles).toEqual({ 'incident-commander': 'ana' });
    expect(open[incidents.failing]!.halted).toBe('call-broken');
    expect(open[incidents.gated]!.halted).toBeUndefined();
    // The clock's deadlines as the clock itself states them: the last calendar day of each.
    const view = await env.client.workflow.getHandle(breachClockId(incidents.contained)).query(clockQuery);
    const clock = body.clocks.find((c) => c.incidentId === incidents.contained)!;
    expect(clock.title).toBe('key used from a new country');
    expect(clock.obligations.map((o) => o.deadline).sort()).toEqual(view.obligations.map((o) => o.deadline).sort());
    expect(clock.obligations.map((o) => o.deadline)).toContain('2027-01-29');
    // Resolving opened the earlier incident's review; it has no follow-ups yet.
    expect(body.reviews).toContainEqual({ incidentId: incidents.resolved, title: 'an earlier alert, resolved since', review: 'open', followUps: { open: 0, overdue: 0, closed: 0 } });
  });

  test('a dashboard without a token says it is disabled, on the page and in the API', async () => {
    // Mounted as the ingress mounts it: its error handler renders refusals.
    const app = dashboardRoutes({ client: env.client, snapshots: new SnapshotReader(env.client, 0) });
    app.onError(errorResponse);
    const page = await app.request('/dashboard');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('The dashboard is disabled on this ingress: set dashboard.token');
    const apiRes = await app.request('/dashboard/api/overview', { headers: { authorization: 'Bearer anything-at-all-here' } });
    expect(apiRes.status).toBe(404);
    expect(await apiRes.json()).toMatchObject({ error: 'dashboard_disabled', message: expect.stringContaining('set dashboard.token') });
  });

  test('shows one incident with its steps and timeline; unknown and malformed ids are refused', async () => {
    const res = await api(`/incident?id=${encodeURIComponent(incidents.failing)}`);
    const body = (await res.json()) as { incident: { steps: { id: string; status: string }[] }; timeline: { kind: string }[] };
    expect(body.incident.steps).toEqual([expect.objectContaining({ id: 'call-broken', status: 'failed' })]);
    expect(body.timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['incident.opened', 'step.started', 'step.failed']));
    expect((await api('/incident?id=incident%2Fnobody')).status).toBe(404);
    expect((await api('/incident?id=..%2Fetc')).status).toBe(400);
  });
});

describe('in a browser', () => {
  test('a person signs in with the token and sees incidents, approvals, clocks and charts', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/dashboard`);

    await page.getByLabel('Dashboard token').fill('wrong-token-wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted.').waitFor();

    await page.getByLabel('Dashboard token').fill(DASHBOARD_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const rows = page.getByTestId('incidents').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    // Signed in, the sign-in form is gone (its own display rule once kept it on screen).
    expect(await page.getByLabel('Dashboard token').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(false);
    await expect(page.getByRole('heading', { name: 'Open incidents (3)' }).isVisible()).resolves.toBe(true);
    const gatedRow = rows.filter({ hasText: 'bulk export to [email]' });
    expect(await gatedRow.locator('td.status').textContent()).toBe('containing');
    expect(await rows.filter({ hasText: 'SOAR call rejected' }).locator('td.status').textContent()).toBe('containing (halted at call-broken) (escalated)');
    expect(await rows.filter({ hasText: 'key used from a new country' }).locator('td.status').textContent()).toBe('contained');
    expect(await rows.filter({ hasText: 'key used from a new country' }).locator('td.roles').textContent()).toBe('incident-commander: ana');
    expect(await page.content()).not.toContain('jane.doe@example.org');

    const approvals = page.getByTestId('approvals');
    expect(await approvals.textContent()).toContain('risky (webhook)');
    expect(await approvals.textContent()).toContain('nobody yet');
    const clockRows = page.getByTestId('clocks').locator('tbody tr');
    expect(await clockRows.first().locator('td').first().textContent()).toBe('key used from a new country');
    expect(await page.getByTestId('clocks').locator('td.deadline').allTextContents()).toContain('2027-01-29');
    const reviews = page.getByTestId('reviews');
    expect(await reviews.locator('tr', { hasText: 'an earlier alert, resolved since' }).locator('td.review').textContent()).toBe('open');
    // uPlot drew the response-time chart with its three series.
    await page.getByTestId('chart').locator('canvas').waitFor();
    const legend = await page.getByTestId('chart').locator('.u-legend').textContent();
    for (const series of ['MTTD', 'MTTC', 'MTTR']) expect(legend).toContain(series);
    expect(await page.getByTestId('mttx-releases').locator('td.release').allTextContents()).toEqual(['unlabelled']);

    await gatedRow.getByRole('link').click();
    await page.getByTestId('timeline').waitFor();
    expect(await page.getByTestId('incident-title').textContent()).toBe('bulk export to [email]');
    const timeline = await page.getByTestId('timeline').textContent();
    expect(timeline).toContain('incident.opened');
    expect(timeline).toContain('approval.requested');
    expect(await page.getByTestId('steps').locator('tbody tr').first().textContent()).toContain('awaiting-approval');
    expect(errors).toEqual([]);
    await page.close();
  });
});

test('dashboard sign-ins are audited once per address and hour, every refusal always; the token never is', async () => {
  const before = audit.events.length;
  expect((await api('/overview', 'not-the-dashboard-token-at-all')).status).toBe(401);
  expect((await api('/overview', '')).status).toBe(401);
  expect((await api('/overview')).status).toBe(200);
  expect((await api('/overview')).status).toBe(200);
  const recorded = audit.events.slice(before).filter((e) => e.what.startsWith('dashboard.'));
  expect(recorded.map((e) => [e.what, e.why.reason])).toEqual(
    expect.arrayContaining([
      ['dashboard.signin.refused', 'wrong token'],
      ['dashboard.signin.refused', 'no token'],
    ]),
  );
  // Signed in earlier in this file from this address: not recorded again within the hour.
  expect(audit.events.filter((e) => e.what === 'dashboard.signin')).toHaveLength(1);
  expect(JSON.stringify(audit.events)).not.toContain(DASHBOARD_TOKEN);
});
