import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { displayTimeline } from '../../domain/display';
import { aggregate } from '../../domain/mttx';
import { stateQuery, timelineQuery } from '../../workflows/definitions';
import type { Client } from '@temporalio/client';
import type { AuditSink } from '../../activities/audit-sink';
import { HttpError } from '../errors';
import { bearerToken } from './auth';
import { responseTimes, toRow, type Snapshot, type SnapshotReader } from './snapshot';

export interface DashboardDeps {
  client: Client;
  snapshots: SnapshotReader;
  /** the shared bearer token; unset disables the API */
  token?: string;
  /** sign-ins and refusals are recorded here */
  audit?: AuditSink;
}

interface Asset {
  body: string;
  type: string;
}

/** Static files are read once at start; the page itself carries no data, only the API does. */
function assets(): Record<string, Asset> {
  const here = join(__dirname, 'assets');
  const uplot = join(require.resolve('uplot'), '..');
  const read = (path: string) => readFileSync(path, 'utf8');
  return {
    'dashboard.js': { body: read(join(here, 'dashboard.js')), type: 'text/javascript; charset=utf-8' },
    'dashboard.css': { body: read(join(here, 'dashboard.css')), type: 'text/css; charset=utf-8' },
    'uPlot.min.js': { body: read(join(uplot, 'uPlot.iife.min.js')), type: 'text/javascript; charset=utf-8' },
    'uPlot.min.css': { body: read(join(uplot, 'uPlot.min.css')), type: 'text/css; charset=utf-8' },
  };
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tourniquet — incidents</title>
<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
</head>
<body>
<header><h1>Tourniquet</h1><span id="updated"></span></header>
<form id="login" hidden>
  <label>Dashboard token <input id="token" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
  <p id="login-error" role="alert"></p>
</form>
<main id="app" hidden></main>
<script src="/dashboard/assets/uPlot.min.js"></script>
<script src="/dashboard/assets/dashboard.js"></script>
</body>
</html>
`;

const DISABLED = 'The dashboard is disabled on this ingress: set dashboard.token (TOURNIQUET_DASHBOARD_TOKEN, at least 16 characters) to turn it on.';

const DISABLED_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tourniquet — dashboard disabled</title><link rel="stylesheet" href="/dashboard/assets/dashboard.css"></head>
<body><header><h1>Tourniquet</h1></header><main><p role="alert" data-testid="disabled">${DISABLED}</p></main></body>
</html>
`;

/**
 * GET /dashboard (page and assets, public) and /dashboard/api/* (bearer token). Without a token
 * configured the dashboard is off, and says so: the page and the API tell what to set, rather
 * than asking for a token nobody could have.
 */
export function dashboardRoutes(deps: DashboardDeps): Hono {
  const files = assets();
  const app = new Hono();
  const noStore = { 'cache-control': 'no-store' };
  if (!deps.token) {
    app.get('/dashboard', (c) => c.html(DISABLED_PAGE, 404, noStore));
    app.all('/dashboard/api/*', () => {
      throw new HttpError(404, DISABLED, 'dashboard_disabled');
    });
  }
  app.get('/dashboard', (c) =>
    c.html(PAGE, 200, { ...noStore, 'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:" }),
  );
  app.get('/dashboard/assets/:name', (c) => {
    const file = files[c.req.param('name')];
    if (!file) throw new HttpError(404, 'no such asset', 'not_found');
    return c.body(file.body, 200, { 'content-type': file.type, 'cache-control': 'public, max-age=300' });
  });

  const api = new Hono();
  api.use('*', bearerToken(deps.token, 'dashboard', deps.audit));
  api.get('/overview', async (c) => {
    const snap = await deps.snapshots.snapshot();
    return c.json(
      {
        takenAt: snap.takenAt,
        open: snap.open,
        pendingApprovals: snap.open.flatMap((row) => row.pendingApprovals.map((p) => ({ incidentId: row.id, title: row.title, ...p }))),
        clocks: snap.clocks,
        access: snap.access,
        reviews: reviewRows(snap),
        byStatus: snap.byStatus,
        responseTimes: responseTimes([...snap.open, ...snap.closed]),
        // Release over release: the same aggregation as `tourniquet metrics mttx --by release`.
        mttxByRelease: aggregate([...snap.open, ...snap.closed].map((r) => r.times), 'release'),
      },
      200,
      noStore,
    );
  });
  api.get('/incident', async (c) => {
    const id = c.req.query('id') ?? '';
    if (!/^incident\/[\w.:-]+$/.test(id)) throw new HttpError(400, 'id must be an incident id (incident/<fingerprint>)', 'bad_request');
    const handle = deps.client.workflow.getHandle(id);
    try {
      const [state, timeline] = await Promise.all([handle.query(stateQuery), handle.query(timelineQuery)]);
      return c.json(
        { incident: toRow(state, deps.snapshots.policy), timeline: displayTimeline(timeline, state, deps.snapshots.policy) },
        200,
        noStore,
      );
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') throw new HttpError(404, `no incident ${id}`, 'not_found');
      throw err;
    }
  });
  app.route('/dashboard/api', api);
  return app;
}

/** Reviews and follow-ups, each with its incident's title where the snapshot holds the incident. */
function reviewRows(snap: Snapshot) {
  const titles = new Map([...snap.closed, ...snap.open].map((r) => [r.id, r.title]));
  return snap.reviews.map((r) => ({ ...r, ...(titles.has(r.incidentId) ? { title: titles.get(r.incidentId)! } : {}) }));
}
