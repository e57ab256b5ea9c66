/**
 * MTTx from real incidents on a real Temporal dev server: incidents of two releases with known
 * observed times, one acknowledged and contained and resolved, one whose step failed, one closed
 * as no-action, read back through visibility (completed and running alike) and aggregated per
 * release; the failed and no-action incidents are counted, not dropped; the Prometheus histogram
 * observes each closed incident once, however often it is scraped.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { aggregate } from '../../domain/mttx';
import { toRow, type Snapshot } from '../../ingress/dashboard/snapshot';
import { deliverAlert } from '../../ingress/incidents';
import { createMetrics } from '../../ingress/metrics';
import { metricsCollector } from '../../ingress/metrics-collector';
import { readIncidentTimes } from '../../ingress/mttx-query';
import type { IncidentState } from '../../domain/incident';
import type { Config } from '../../platform/config';
import { acknowledgeUpdate, closeNoActionUpdate, resolveUpdate, stateQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { lifecycleRunbooks, waitFor } from '../support/runbooks';
import { startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove } from '../support/decisions';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let target: Awaited<ReturnType<typeof httpTarget>>;
const since = new Date(Date.now() - 1_000).toISOString();

beforeAll(async () => {
  target = await httpTarget((path) => (path === '/reject' ? 400 : 200));
  const runbooksDir = lifecycleRunbooks(target.url);
  config = testConfig({ runbooksDir, temporal: { taskQueue: 'mttx' } });
  env = await startDevServer(config);
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ runbooksDir })))).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
});

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

async function open(kind: string, release: string, observedMinutesAgo: number, deliveryId: string) {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind, deliveryId, fingerprint: deliveryId, labels: { release }, observedAt: minutesAgo(observedMinutesAgo) }));
  return env.client.workflow.getHandle(incidentId);
}

test('per release, from real incidents: detection minutes exact, failed and no-action counted, each closed incident observed once', async () => {
  const ok = await open('OkMttx', 'v1.0', 30, 'mttx-ok');
  await waitFor(() => ok.query(stateQuery), (s) => s.status === 'contained');
  await ok.executeUpdate(acknowledgeUpdate, { args: [{ proof: prove('U1', 'acknowledge', ok.workflowId) }] });
  await ok.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', ok.workflowId), reason: 'fixed' }] });

  const broken = await open('BrokenMttx', 'v1.0', 90, 'mttx-broken');
  await waitFor(() => broken.query(stateQuery), (s) => s.escalated);

  const noise = await open('Unmatched noise', 'v1.1', 12, 'mttx-noise');
  await waitFor(() => noise.query(stateQuery), (s) => !!s.runbook);
  await noise.executeUpdate(closeNoActionUpdate, { args: [{ proof: prove('U1', 'close-no-action', noise.workflowId), reason: 'scanner' }] });
  await Promise.all([ok.result(), noise.result()]);

  const { times, unreadable } = await readIncidentTimes(env.client, since);
  expect(unreadable).toEqual([]);
  expect(times.map((t) => [t.id, t.release, t.outcome])).toEqual([
    [ok.workflowId, 'v1.0', 'resolved'],
    [broken.workflowId, 'v1.0', 'failed'],
    [noise.workflowId, 'v1.1', 'no-action'],
  ]);
  const [okT, brokenT, noiseT] = times;
  expect(Math.round(okT!.mttd! / 60)).toBe(30);
  expect(Math.round(brokenT!.mttd! / 60)).toBe(90);
  expect(Math.round(noiseT!.mttd! / 60)).toBe(12);
  expect(okT!.mtta).toBeGreaterThanOrEqual(0);
  expect(okT!.mttc).toBeLessThanOrEqual(okT!.mttr!);
  expect([brokenT!.mttc, brokenT!.mttr, noiseT!.mttc, noiseT!.mttr, noiseT!.mtta]).toEqual([undefined, undefined, undefined, undefined, undefined]);

  const [v10, v11] = aggregate(times, 'release');
  expect([v10!.key, v10!.incidents, v10!.outcomes]).toEqual(['v1.0', 2, { open: 0, resolved: 1, 'no-action': 0, failed: 1 }]);
  expect(Math.round(v10!.measures.mttd!.mean / 60)).toBe(60);
  expect([v10!.measures.mttd!.count, v10!.measures.mttr!.count, v10!.measures.mttc!.count]).toEqual([2, 1, 1]);
  expect([v11!.key, v11!.incidents, v11!.outcomes['no-action'], v11!.measures.mttr]).toEqual(['v1.1', 1, 1, undefined]);

  // Prometheus: each closed incident once, whatever the number of scrapes.
  const metrics = createMetrics();
  const collect = metricsCollector(metrics);
  const closed = await Promise.all([ok, noise].map(async (h) => toRow((await h.result()) as IncidentState)));
  const snapshot: Snapshot = { takenAt: new Date().toISOString(), open: [], closed, byStatus: { open: 0, containing: 0, contained: 0, resolved: 1, 'closed-no-action': 1 }, clocks: [], access: [], reviews: [] };
  collect(snapshot);
  collect(snapshot);
  const text = await metrics.registry.metrics();
  expect(text).toContain('tourniquet_incident_response_seconds_count{measure="mttd",severity="high",release="v1.0"} 1');
  expect(text).toContain('tourniquet_incident_response_seconds_count{measure="mttr",severity="high",release="v1.0"} 1');
  expect(text).toContain('tourniquet_incidents_closed_total{outcome="no-action",release="v1.1"} 1');
  expect(text).toContain('tourniquet_incidents_closed_total{outcome="resolved",release="v1.0"} 1');
});
