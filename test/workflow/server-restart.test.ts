/**
 * The Temporal server itself restarts (the embedded dev server over its SQLite file, as after a
 * machine reboot): a PHI incident and its breach clock come back with everything they knew, and
 * keep working — the clock takes updates and the incident resolves.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { deliverAlert } from '../../ingress/incidents';
import { clockQuery, recordFactsUpdate } from '../../workflows/breach-clock-definitions';
import { resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { waitFor } from '../support/runbooks';
import { RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove } from '../support/decisions';

jest.setTimeout(180_000);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test('an incident and its breach clock survive a restart of the Temporal server', async () => {
  const runbooksDir = mkdtempSync(join(tmpdir(), 'tq-restart-runbooks-'));
  mkdirSync(runbooksDir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(runbooksDir, 'triage.yaml'));
  writeFileSync(
    join(runbooksDir, 'phi.yaml'),
    `id: phi
title: PHI exposure
match: [{ kinds: ["PhiLeak*"] }]
phi: true
steps:
  - { id: tell, type: notify, with: { text: "PHI exposure under investigation" } }
`,
  );
  const config = testConfig({ runbooksDir, temporal: { taskQueue: 'server-restart' } });
  const persistence = { dbFilename: join(mkdtempSync(join(tmpdir(), 'tq-restart-db-')), 'temporal.sqlite'), port: await freePort() };
  const activities = createActivities(testActivityDeps({ runbooksDir }));

  let env: TestWorkflowEnvironment = await startDevServer(config, persistence);
  let worker = await startWorker(env, config, activities);
  const alert = anAlert({ kind: 'PhiLeakExport' });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, alert);
  const clockId = `breach-clock/${alert.fingerprint}`;
  const before = await waitFor(() => env.client.workflow.getHandle(incidentId).query(stateQuery), (s) => s.runbookDone === true);
  const clockBefore = await waitFor(
    () => env.client.workflow.getHandle(clockId).query(clockQuery).catch(() => undefined),
    (v) => v !== undefined,
    'the clock',
  );
  const timelineBefore = await env.client.workflow.getHandle(incidentId).query(timelineQuery);

  await worker.stop();
  await env.teardown(); // the server process is gone; only its SQLite file remains

  env = await startDevServer(config, persistence);
  worker = await startWorker(env, config, activities);
  try {
    const incident = env.client.workflow.getHandle(incidentId);
    const clock = env.client.workflow.getHandle(clockId);
    const after = await waitFor(() => incident.query(stateQuery).catch(() => undefined), (s) => s !== undefined, 'incident after restart', 90_000);
    expect(after).toEqual(before);
    expect((await incident.query(timelineQuery)).slice(0, timelineBefore.length)).toEqual(timelineBefore);
    const clockAfter = await clock.query(clockQuery);
    expect(clockAfter.obligations).toEqual(clockBefore!.obligations);

    // Still alive, not just readable: the clock recomputes on new facts, the incident resolves.
    await clock.executeUpdate(recordFactsUpdate, { args: [{ proof: prove('compliance', 'clock.facts', clock.workflowId), affected: 800, byState: { CA: 700, NV: 100 } }] });
    expect((await clock.query(clockQuery)).obligations.map((o) => o.id)).toContain('media:CA');
    await incident.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incident.workflowId), reason: 'contained and notified' }] });
    expect((await incident.result()).status).toBe('resolved');
  } finally {
    await worker.stop();
    await env.teardown();
  }
});
