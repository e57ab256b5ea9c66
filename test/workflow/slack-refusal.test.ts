/**
 * A Slack that refuses (the bot was never invited: `not_in_channel`) never loops and never blocks
 * containment. On the time-skipping server, a minute of a refusing Slack costs a handful of calls,
 * each distinct refusal is recorded once, and the runbook still reaches its approval gate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { approveUpdate, resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { httpTarget } from '../support/http-target';
import { memoryAudit, startTimeSkippingServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';
import { testGrants } from '../support/decisions';

const proveAt = testGrants({ oncall: ['U1'] });
/** Time is skipped here: a grant is issued at the test server's time, as the ingress's would be at the workflow's. */
const proveNow = async (...[by, action, workflowId, options = {}]: Parameters<typeof proveAt>) =>
  proveAt(by, action, workflowId, { ...options, at: new Date(await env.currentTimeMs()) });

jest.setTimeout(120_000);

const TOKEN = 'xoxb-refusal-test';
let env: TestWorkflowEnvironment;
let config: Config;
let standin: SlackStandin;
let target: Awaited<ReturnType<typeof httpTarget>>;
let stopWorker: () => Promise<void>;
const audit = memoryAudit();

beforeAll(async () => {
  target = await httpTarget();
  standin = await slackStandin(TOKEN);
  const dir = join(tmpdir(), `tq-refusal-runbooks-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'told-then-gated.yaml'),
    `id: told-then-gated
title: Tell, then a gated step
match: [{ kinds: ["Refused*"] }]
steps:
  - id: tell
    type: notify
    with: { text: "something happened" }
  - id: contain
    type: webhook
    with: { url: "${target.url}/contain" }
    approval: { group: oncall, approvers: 1, timeout: 1h, finalTimeout: 1h }
`,
  );
  config = testConfig({ runbooksDir: dir });
  env = await startTimeSkippingServer(config);
  const notifier = standinNotifier(standin, 'C0REFUSED', { oncall: ['U1'] });
  const activities = createActivities(testActivityDeps({ runbooksDir: dir, notifier, audit, approverGroups: { oncall: ['U1'] } }));
  stopWorker = (await startWorker(env, config, activities)).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await standin?.close();
  await target?.close();
});

test('a minute of not_in_channel: bounded calls, each refusal recorded once, the approval gate reached and usable', async () => {
  standin.refuse('not_in_channel');
  const alert = anAlert({ kind: 'RefusedSlack' });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, alert);
  const handle = env.client.workflow.getHandle(incidentId);
  // A storm of alerts on the same incident while Slack refuses: each would ask for an announce.
  for (let i = 0; i < 20; i++) await deliverAlert(env.client, config.temporal.taskQueue, { ...alert, deliveryId: `storm-${i}` });
  await env.sleep('1 minute');
  const state = await handle.query(stateQuery);
  expect(state.steps.map((s) => [s.id, s.status])).toEqual([
    ['tell', 'failed'],
    ['contain', 'awaiting-approval'],
  ]);
  expect(state.alertCount).toBe(21);

  const refused = standin.calls.filter((c) => c.result?.ok === false);
  // Old behaviour: ~20 calls a second. Now: the first announce, one retry after 30 s (backoff),
  // the notify step, the approval request.
  expect(refused.length).toBeGreaterThanOrEqual(3);
  expect(refused.length).toBeLessThanOrEqual(6);
  const failures = (await handle.query(timelineQuery)).filter((e) => e.kind === 'notify.failed');
  expect(failures.length).toBeLessThanOrEqual(3);
  expect(new Set(failures.map((f) => f.message)).size).toBe(failures.length);
  expect(audit.events.filter((e) => e.what === 'notify.failed')).toHaveLength(failures.length);
  expect(audit.events.length).toBeLessThan(60);

  // Slack is still refusing: the approval comes from the CLI's update, and the step runs.
  await handle.executeUpdate(approveUpdate, { args: [{ proof: await proveNow('U1', 'approve', handle.workflowId, { subject: { stepId: 'contain', planHash: state.steps[1]!.planHash! } }), stepId: 'contain', justification: 'contain it', planHash: state.steps[1]!.planHash! }] });
  await env.sleep('5 seconds');
  expect(target.requests.filter((r) => r.path === '/contain')).toHaveLength(1);

  // Slack answers again: the next announce (after the backoff) brings the message up to date.
  standin.refuse(undefined);
  await env.sleep('10 minutes');
  expect(standin.callsOf('chat.postMessage').some((c) => c.result?.ok === true)).toBe(true);
  await handle.executeUpdate(resolveUpdate, { args: [{ proof: await proveNow('U1', 'resolve', handle.workflowId), reason: 'done' }] });
});
