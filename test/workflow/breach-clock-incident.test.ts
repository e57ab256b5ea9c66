/**
 * Breach clocks on a real Temporal dev server: a PHI runbook's incident starts its clock, which
 * outlives the incident; open clocks are listed through visibility, soonest deadline first with
 * overdue flagged; a replaced worker resumes the clocks with nothing lost or repeated; and the
 * annual HHS log of small breaches shows what was submitted.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, logNotifier, type Escalation } from '../../activities';
import { smallBreachLog } from '../../domain/hipaa';
import { addCalendarDays } from '../../domain/hipaa';
import { clocksOfYear, listOpenClocks } from '../../ingress/read-model';
import { deliverAlert } from '../../ingress/incidents';
import type { Config } from '../../platform/config';
import type { breachClockWorkflow } from '../../workflows/breach-clock';
import { BREACH_CLOCK_WORKFLOW, clockQuery, recordFactsUpdate, recordNoticeSentUpdate } from '../../workflows/breach-clock-definitions';
import { resolveUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { anAlert } from '../support/alerts';
import { waitFor } from '../support/runbooks';
import { memoryAudit, RUNBOOKS_DIR, startDevServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove } from '../support/decisions';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
let runbooksDir: string;
const escalations: Escalation[] = [];
const audit = memoryAudit();

async function worker() {
  const silent = { info: () => undefined, warn: () => undefined };
  const notifier = { ...logNotifier(silent), escalate: async (e: Escalation) => void escalations.push(e) };
  return startWorker(env, config, createActivities(testActivityDeps({ runbooksDir, notifier, audit })));
}

beforeAll(async () => {
  runbooksDir = join(tmpdir(), `tq-phi-runbooks-${process.pid}`);
  mkdirSync(runbooksDir, { recursive: true });
  copyFileSync(join(RUNBOOKS_DIR, 'triage.yaml'), join(runbooksDir, 'triage.yaml'));
  writeFileSync(
    join(runbooksDir, 'phi-export.yaml'),
    `id: phi-export
title: Abnormal PHI export
match: [{ kinds: ["PhiExport*"] }]
phi: true
steps:
  - { id: tell, type: notify, with: { text: "PHI export under investigation" } }
`,
  );
  config = testConfig({ runbooksDir, temporal: { taskQueue: 'breach-clock-incident' } });
  env = await startDevServer(config);
  stopWorker = (await worker()).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const today = () => new Date().toISOString().slice(0, 10);

test('a PHI incident starts its clock, the clock outlives the incident, and listing puts the overdue one first', async () => {
  const alert = anAlert({ kind: 'PhiExportSpike' });
  const { incidentId } = await deliverAlert(env.client, config.temporal.taskQueue, alert);
  const incident = env.client.workflow.getHandle(incidentId);
  const opened = await waitFor(() => incident.query(stateQuery), (s) => s.status !== 'open' || s.runbook !== undefined);
  const clockId = `breach-clock/${alert.fingerprint}`;
  const clock = env.client.workflow.getHandle(clockId);
  const view = await waitFor(() => clock.query(clockQuery).catch(() => undefined), (v) => v !== undefined, 'the clock');
  expect(view!.incidentId).toBe(incidentId);
  expect(view!.discoveryDate).toBe(opened.openedAt.slice(0, 10));
  expect(view!.obligations.map((o) => [o.id, o.deadline])).toEqual([
    ['hhs', addCalendarDays(view!.discoveryDate, 60)],
    ['individuals', addCalendarDays(view!.discoveryDate, 60)],
  ]);
  const timeline = await waitFor(() => incident.query(timelineQuery), (t) => t.some((e) => e.kind === 'breach-clock.started'));
  expect(timeline.find((e) => e.kind === 'breach-clock.started')!.message).toContain(clockId);

  // Closing the incident does not stop the legal deadline.
  await incident.executeUpdate(resolveUpdate, { args: [{ proof: prove('U1', 'resolve', incident.workflowId), reason: 'export blocked' }] });
  await incident.result();
  expect((await clock.describe()).status.name).toBe('RUNNING');

  // A clock whose discovery lies 70 days back is overdue and listed first.
  const lateId = `breach-clock/late-${alert.fingerprint}`;
  await env.client.workflow.start<typeof breachClockWorkflow>(BREACH_CLOCK_WORKFLOW, {
    taskQueue: config.temporal.taskQueue,
    workflowId: lateId,
    args: [{ id: lateId, incidentId: `incident/late-${alert.fingerprint}`, discoveredAt: addCalendarDays(today(), -70), facts: { affected: 12 } }],
  });
  const rows = await waitFor(
    () => listOpenClocks(env.client),
    (r) => r.some((c) => c.id === lateId && c.status === 'overdue') && r.some((c) => c.id === clockId && c.nextDeadline !== undefined),
    'both clocks listed',
  );
  const mine = rows.filter((r) => r.id === lateId || r.id === clockId);
  expect(mine.map((r) => [r.id, r.overdue])).toEqual([
    [lateId, true],
    [clockId, false],
  ]);
  expect(mine[1]!.nextDeadline).toBe(new Date(view!.obligations[0]!.dueAt).toISOString());
  await waitFor(async () => escalations.filter((e) => e.incidentId === `incident/late-${alert.fingerprint}`), (e) => e.length === 1, 'one escalation');

  // A new worker replaces the old one: state comes back from history, nothing is sent twice.
  await stopWorker();
  stopWorker = (await worker()).stop;
  const late = env.client.workflow.getHandle(lateId);
  const facts = await clock.executeUpdate(recordFactsUpdate, { args: [{ proof: prove('U-privacy', 'clock.facts', clock.workflowId), affected: 40, byState: { CA: 40 } }] });
  expect(facts.obligations.find((o) => o.id === 'hhs')!.kind).toBe('hhs-annual-log');
  const afterRestart = await late.query(clockQuery);
  expect(afterRestart.status).toBe('overdue');
  expect(afterRestart.facts.affected).toBe(12);
  await new Promise((r) => setTimeout(r, 1000));
  expect(escalations.filter((e) => e.incidentId === `incident/late-${alert.fingerprint}`)).toHaveLength(1);

  // The HHS log of the year: breaches under 500, and whether each was submitted.
  const year = Number(view!.discoveryDate.slice(0, 4));
  await late.terminate('covered by another test');
  await clock.executeUpdate(recordNoticeSentUpdate, { args: [{ proof: prove('U-privacy', 'clock.notice', clock.workflowId, { subject: { obligationId: 'hhs' } }), obligationId: 'hhs', sentOn: today(), evidence: 'hhs-portal/receipt-123' }] });
  const log = await waitFor(
    async () => smallBreachLog(await clocksOfYear(env.client, year)).filter((r) => r.clock === clockId),
    (r) => r.length === 1,
    'the clock in the year log',
  );
  expect(log[0]).toEqual(
    expect.objectContaining({ affected: 40, states: ['CA'], submittedToHhs: { sentOn: today(), evidence: 'hhs-portal/receipt-123' }, individualsNotified: null }),
  );
  await clock.terminate('test done');
});
