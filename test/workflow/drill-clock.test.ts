/**
 * A drill of a PHI runbook runs an exercise breach clock: a real clock workflow whose time is
 * compressed, so its 60-day notice deadline, the reminders before it and the first overdue
 * escalation are rehearsed in seconds, every message marked EXERCISE. It never mixes with real
 * clocks: not listed with them, not in the HHS report, and it ends a day past its last deadline.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { drillAlert } from '../../domain/exercise';
import { breachClockId } from '../../domain/ids';
import type { ClockView } from '../../workflows/breach-clock-definitions';
import { clocksOfYear, listOpenClocks, listWorkflows, visibility } from '../../ingress/read-model';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import { timelineQuery } from '../../workflows/definitions';
import { waitFor } from '../support/runbooks';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';
import { memoryAudit, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';

jest.setTimeout(120_000);

const TOKEN = 'xoxb-drill-clock';
let env: TestWorkflowEnvironment;
let config: Config;
let standin: SlackStandin;
let stopWorker: () => Promise<void>;
const audit = memoryAudit();

beforeAll(async () => {
  standin = await slackStandin(TOKEN);
  const dir = join(tmpdir(), `tq-drill-clock-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'phi.yaml'), 'id: phi-export\ntitle: PHI export\nphi: true\nsteps:\n  - id: tell\n    type: notify\n    with: { text: an export to look at }\n');
  writeFileSync(join(dir, 'triage.yaml'), 'id: triage\ntitle: t\npriority: -1000\nsteps:\n  - id: tell\n    type: notify\n    with: { text: triage }\n');
  config = testConfig({ runbooksDir: dir });
  env = await startDevServer(config);
  const notifier = standinNotifier(standin, 'C0DRILLCLOCK');
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ runbooksDir: dir, notifier, audit })))).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
  await standin?.close();
});

test('a PHI drill rehearses its breach clock in compressed time: reminders, the deadline, one escalation, then it ends; never among real clocks', async () => {
  // 60 days in about 10 s of wall time.
  const clockScale = 500_000;
  const { alert, incidentId } = drillAlert({ runbook: 'phi-export', severity: 'high', subject: {}, startedBy: 'U-facilitator', suffix: 'clock1', at: new Date().toISOString(), clockScale });
  await deliverAlert(env.client, config.temporal.taskQueue, alert, 'U-facilitator');
  const clockId = breachClockId(incidentId);
  expect(clockId).toBe('breach-clock/exercise-clock1');

  const timeline = await waitFor(() => env.client.workflow.getHandle(incidentId).query(timelineQuery), (t) => t.some((e) => e.kind === 'breach-clock.started'), 'exercise clock started');
  expect(timeline.find((e) => e.kind === 'breach-clock.started')!.message).toMatch(/^EXERCISE: breach-notification clock breach-clock\/exercise-clock1 started; .*in compressed time$/);

  // While it runs it is listed with drills only: not among open clocks, not in the HHS report.
  await waitFor(async () => (await listWorkflows(env.client, visibility.exerciseClocks())).length, (n) => n === 1, 'listed as an exercise clock');
  expect((await listOpenClocks(env.client)).map((c) => c.id)).not.toContain(clockId);
  expect((await clocksOfYear(env.client, new Date().getUTCFullYear())).map((c) => c.id)).not.toContain(clockId);

  const end: ClockView = await env.client.workflow.getHandle(clockId).result();
  expect(end.status).toBe('overdue');
  expect(end.changes.map((c) => c.what)).toEqual(expect.arrayContaining(['clock.started', 'clock.exercise-ended']));
  // Its own time passed the deadline; the wall clock did not.
  expect(Date.parse(end.asOf)).toBeGreaterThan(Date.parse(end.nextDeadline!));
  expect(Date.now()).toBeLessThan(Date.parse(end.nextDeadline!));

  // Reminders before the deadline and the first escalation after it, each marked EXERCISE.
  const clockPosts = standin.callsOf('chat.postMessage').map((c) => String(c.args.text)).filter((t) => t.includes('Breach clock') || t.includes('Escalation'));
  expect(clockPosts.length).toBeGreaterThanOrEqual(2);
  for (const text of clockPosts) expect(text).toMatch(/^EXERCISE: /);
  const escalations = audit.events.filter((e) => e.correlationId === clockId && e.what === 'clock.overdue');
  expect(audit.events.filter((e) => e.correlationId === clockId && e.what === 'clock.reminder').length).toBeGreaterThanOrEqual(1);
  // The ledger is dated by the wall clock, never by the drill's compressed time.
  for (const e of audit.events.filter((r) => r.correlationId === clockId)) expect(Date.parse(e.when)).toBeLessThanOrEqual(Date.now());
  expect(escalations.length).toBeGreaterThanOrEqual(1);
  // It ended a day past the deadline: a handful of escalations at most, not one a virtual day forever.
  expect(escalations.length).toBeLessThanOrEqual(3);
});
