/**
 * Days-long approval timeouts on Temporal's time-skipping test server: an unanswered request
 * escalates after its timeout, then takes the runbook's default after the final timeout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Duration } from '@temporalio/common';
import { createActivities, type Escalation, logNotifier } from '../../activities';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { startTimeSkippingServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { testGrants } from '../support/decisions';

const proveAt = testGrants({ oncall: ['U1'], leads: ['U2'] });
/** Time is skipped here: a grant is issued at the test server's time, as the ingress's would be at the workflow's. */
const proveNow = async (...[by, action, workflowId, options = {}]: Parameters<typeof proveAt>) =>
  proveAt(by, action, workflowId, { ...options, at: new Date(await env.currentTimeMs()) });

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let target: Awaited<ReturnType<typeof httpTarget>>;
const escalations: Escalation[] = [];

beforeAll(async () => {
  target = await httpTarget();
  const dir = join(tmpdir(), `tq-timeout-runbooks-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  for (const [id, kind, autoContainment] of [
    ['slow-deny', 'SlowDeny', false],
    ['slow-proceed', 'SlowProceed', true],
  ] as const) {
    writeFileSync(
      join(dir, `${id}.yaml`),
      `id: ${id}
title: ${id}
autoContainment: ${autoContainment}
match: [{ kinds: ["${kind}"] }]
steps:
  - id: contain
    type: webhook
    with: { url: "${target.url}/${id}" }
    approval: { group: oncall, approvers: 1, timeout: 2d, escalateTo: leads, finalTimeout: 3d, onTimeout: proceed }
  - id: after
    type: notify
    with: { text: "after the gate" }
`,
    );
  }
  config = testConfig({ runbooksDir: dir });
  env = await startTimeSkippingServer(config);
  const silent = { info: () => undefined, warn: () => undefined };
  const notifier = { ...logNotifier(silent), escalate: async (e: Escalation) => void escalations.push(e) };
  const activities = createActivities(testActivityDeps({ runbooksDir: dir, notifier, approverGroups: { oncall: ['U1'], leads: ['U2'] } }));
  stopWorker = (await startWorker(env, config, activities)).stop;
}, 120_000);

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await target?.close();
});

async function stateAfter(id: string, wait: Duration) {
  await env.sleep(wait);
  return env.client.workflow.getHandle(id).query(stateQuery);
}

test('no decision: escalate after the timeout, then deny by default', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'SlowDeny', severity: 'critical' }));
  let state = await stateAfter(incidentId, '1h');
  expect(state.steps[0]!.status).toBe('awaiting-approval');
  expect(escalations.filter((e) => e.incidentId === incidentId)).toHaveLength(0);

  state = await stateAfter(incidentId, '2d');
  expect(escalations).toContainEqual(expect.objectContaining({ incidentId, stepId: 'contain', group: 'leads' }));
  expect(state.steps[0]!.status).toBe('awaiting-approval');

  state = await stateAfter(incidentId, '3d');
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['contain', 'denied'],
    ['after', 'succeeded'],
  ]);
  expect(target.requests.filter((r) => r.path === '/slow-deny')).toHaveLength(0);
  // Nothing was contained: the incident waits for a person, and says why.
  expect(state.status).toBe('containing');
  const timeline = await env.client.workflow.getHandle(incidentId).query(timelineQuery);
  expect(timeline).toContainEqual(expect.objectContaining({ kind: 'containment.incomplete', message: expect.stringMatching(/contain denied: not contained/) }));
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: await proveNow('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('no decision on a critical incident whose runbook allows auto-containment: proceed', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'SlowProceed', severity: 'critical' }));
  const state = await stateAfter(incidentId, '6d');
  expect(state.steps[0]!.status).toBe('succeeded');
  expect(state.status).toBe('contained');
  expect(target.requests.filter((r) => r.path === '/slow-proceed')).toHaveLength(1);
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: await proveNow('U1', 'resolve', incidentId), reason: 'done' }] });
});

test('auto-containment is not taken below critical severity', async () => {
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, anAlert({ kind: 'SlowProceed', severity: 'high' }));
  const state = await stateAfter(incidentId, '6d');
  expect(state.steps[0]!.status).toBe('denied');
  await env.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ proof: await proveNow('U1', 'resolve', incidentId), reason: 'done' }] });
});
