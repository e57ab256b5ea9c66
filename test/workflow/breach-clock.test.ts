/**
 * Breach-notification clocks on Temporal's time-skipping test server: 60 days pass in seconds.
 * Reminders fire on the configured days before the deadline, a missed deadline escalates every
 * day until the notice is recorded, updates recompute the deadlines, a documented low-risk
 * assessment closes the clock, and a clock survives a worker restart, and continue-as-new, with
 * nothing lost.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import type { AuditEvent } from '../../activities/audit-sink';
import { addCalendarDays, daysLeft, type ClockSettings } from '../../domain/hipaa';
import type { Config } from '../../platform/config';
import {
  BREACH_CLOCK_WORKFLOW,
  clockQuery,
  recordFactsUpdate,
  recordLawEnforcementDelayUpdate,
  recordNoticeSentUpdate,
  recordRiskAssessmentUpdate,
  type BreachClockInput,
  type ClockView,
} from '../../workflows/breach-clock-definitions';
import type { breachClockWorkflow } from '../../workflows/breach-clock';
import { waitFor } from '../support/runbooks';
import { memoryAudit, startTimeSkippingServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove, type GrantOptions } from '../support/decisions';
import type { Action } from '../../domain/authority';
import { updateRefusal } from '../support/refusals';

/** Time is skipped here: a grant is issued at the test server's time, as the ingress's would be at the clock's. */
const proveNow = async (by: string, action: Action, workflowId: string, options: GrantOptions = {}) =>
  prove(by, action, workflowId, { ...options, at: new Date(await env.currentTimeMs()) });

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
const posts: { incidentId: string; text: string }[] = [];
const escalations: Escalation[] = [];
const audit = memoryAudit();

const notifier: Notifier = {
  announce: async () => undefined,
  requestApproval: async () => undefined,
  targetMissed: async () => undefined, escalate: async (e) => void escalations.push(e),
  post: async (incidentId, text) => void posts.push({ incidentId, text }),
};

async function worker() {
  const activities = createActivities(testActivityDeps({ notifier, audit, clocks: { ...config.clocks, escalationGroup: 'privacy-office' } }));
  const started = await startWorker(env, config, activities);
  let stopped: Promise<void> | undefined;
  return { stop: () => (stopped ??= started.stop()) };
}

beforeAll(async () => {
  config = testConfig({ temporal: { taskQueue: 'breach-clocks' } });
  env = await startTimeSkippingServer(config);
  stopWorker = (await worker()).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Midnight UTC, `days` after the calendar day of `ms`. */
const dayStart = (ms: number, days: number) => Date.parse(`${addCalendarDays(utcDate(ms), days)}T00:00:00Z`);

async function advanceTo(target: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

async function startClock(name: string, settings: Partial<ClockSettings>, over: Partial<BreachClockInput> = {}) {
  const t0 = await env.currentTimeMs();
  const id = `breach-clock/${name}`;
  const input: BreachClockInput = {
    id,
    incidentId: `incident/${name}`,
    discoveredAt: utcDate(t0),
    settings: { role: 'covered-entity', timeZone: 'UTC', reminderDays: [30, 14, 7, 3, 1], additional: [], ...settings },
    ...over,
  };
  const handle = await env.client.workflow.start<typeof breachClockWorkflow>(BREACH_CLOCK_WORKFLOW, { taskQueue: config.temporal.taskQueue, workflowId: id, args: [input] });
  return { handle, t0, incidentId: input.incidentId };
}


const eventsOf = (incidentId: string, what: string): AuditEvent[] => audit.events.filter((e) => e.why.incident === incidentId && e.what === what);
const remindersOf = (incidentId: string) => eventsOf(incidentId, 'clock.reminder').map((e) => [e.when, e.details!.obligation, e.details!.daysLeft]);

test('a 60-day clock reminds 30, 14, 7, 3 and 1 days before, then escalates every day past the deadline', async () => {
  const { handle, t0, incidentId } = await startClock('sixty-days', { role: 'business-associate' });
  const deadline = addCalendarDays(utcDate(t0), 60);
  const at9 = (daysBeforeDeadline: number) => `${addCalendarDays(deadline, -daysBeforeDeadline)}T09:00:00.000Z`;

  await advanceTo(dayStart(t0, 20));
  let view: ClockView = await handle.query(clockQuery);
  expect(view.obligations.map((o) => [o.id, o.deadline, o.status])).toEqual([['covered-entity', deadline, 'pending']]);
  expect(remindersOf(incidentId)).toEqual([]);

  // Last hour of the deadline day: every reminder sent, once, at 09:00 on its day; not yet overdue.
  await advanceTo(dayStart(t0, 61) - 3_600_000);
  expect(remindersOf(incidentId)).toEqual([30, 14, 7, 3, 1].map((n) => [at9(n), 'covered-entity', n]));
  expect(posts.filter((p) => p.incidentId === incidentId).map((p) => p.text)).toEqual(
    ['30 days left', '14 days left', '7 days left', '3 days left', '1 day left'].map((left) => expect.stringContaining(left)),
  );
  view = await handle.query(clockQuery);
  expect(view.status).toBe('open');
  expect(daysLeft(view.obligations[0]!, await env.currentTimeMs())).toBe(0);
  expect(escalations.filter((e) => e.incidentId === incidentId)).toEqual([]);

  // The deadline day ended: one escalation per day, to the configured group.
  await advanceTo(dayStart(t0, 63) + 12 * 3_600_000);
  const mine = escalations.filter((e) => e.incidentId === incidentId);
  expect(mine.map((e) => e.message.match(/OVERDUE by (\d+) day/)![1])).toEqual(['1', '2', '3']);
  expect(mine.every((e) => e.group === 'privacy-office')).toBe(true);
  expect(eventsOf(incidentId, 'clock.overdue').map((e) => e.when)).toEqual([61, 62, 63].map((k) => new Date(dayStart(t0, k)).toISOString()));
  view = await handle.query(clockQuery);
  expect(view.status).toBe('overdue');
  expect(view.obligations[0]!.status).toBe('overdue');

  // Recording the notice closes the clock; the lateness is kept.
  const sentOn = utcDate(await env.currentTimeMs());
  await handle.executeUpdate(recordNoticeSentUpdate, { args: [{ proof: await proveNow('U-privacy', 'clock.notice', handle.workflowId, { subject: { obligationId: 'covered-entity' } }), obligationId: 'covered-entity', sentOn, evidence: 'evidence/ce-letter.pdf' }] });
  const final = await handle.result();
  expect(final.status).toBe('closed');
  expect(final.notices).toEqual([expect.objectContaining({ obligationId: 'covered-entity', sentOn, late: true, evidence: 'evidence/ce-letter.pdf' })]);
  expect(eventsOf(incidentId, 'clock.closed')).toHaveLength(1);
  // No reminder or escalation after the notice.
  await env.sleep('3 days');
  expect(escalations.filter((e) => e.incidentId === incidentId)).toHaveLength(3);
});

test('updates recompute the deadlines and are audited; a documented low risk closes without notification', async () => {
  const { handle, t0, incidentId } = await startClock('updates', {}, { facts: { affected: 40 } });
  const discovered = utcDate(t0);
  const sixty = addCalendarDays(discovered, 60);
  const year = Number(discovered.slice(0, 4));

  let view = await handle.query(clockQuery);
  expect(view.obligations.map((o) => [o.id, o.kind, o.deadline])).toEqual([
    ['individuals', 'individual-notice', sixty],
    ['hhs', 'hhs-annual-log', addCalendarDays(`${year}-12-31`, 60)],
  ]);

  view = await handle.executeUpdate(recordFactsUpdate, { args: [{ proof: await proveNow('U-privacy', 'clock.facts', handle.workflowId), affected: 1200, byState: { CA: 501, NV: 500 }, reason: 'claims system export reviewed' }] });
  expect(view.obligations.map((o) => [o.id, o.deadline])).toEqual([
    ['hhs', sixty],
    ['individuals', sixty],
    ['media:CA', sixty],
  ]);
  const facts = await waitFor(async () => eventsOf(incidentId, 'clock.facts'), (e) => e.length > 0, 'the facts audited');
  expect(facts.map((e) => e.details!.message)).toEqual([expect.stringMatching(/hhs .* → .*; \+media:CA/)]);

  await expect(
    handle.executeUpdate(recordFactsUpdate, { args: [{ proof: await proveNow('U-privacy', 'clock.facts', handle.workflowId), byState: { California: 3 } }] }),
  ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  expect(
    await updateRefusal(handle.executeUpdate(recordNoticeSentUpdate, { args: [{ proof: await proveNow('U-privacy', 'clock.notice', handle.workflowId, { subject: { obligationId: 'individuals' } }), obligationId: 'individuals', sentOn: discovered, evidence: ' ' }] })),
  ).toMatch(/evidence/);

  // Days that do not exist are refused by the validators; the clock goes on answering.
  expect(
    await updateRefusal(handle.executeUpdate(recordLawEnforcementDelayUpdate, {
      args: [{ proof: await proveNow('U-legal', 'clock.delay', handle.workflowId), statement: { form: 'written', statedOn: '2026-02-30', until: '2026-03-30', official: 'SA Doe', agency: 'FBI', reference: 'legal/x.pdf' } }],
    })),
  ).toMatch(/statedOn must be a real calendar date/);
  expect(
    await updateRefusal(handle.executeUpdate(recordNoticeSentUpdate, { args: [{ proof: await proveNow('U-privacy', 'clock.notice', handle.workflowId, { subject: { obligationId: 'individuals' } }), obligationId: 'individuals', sentOn: `${year + 1}-13-01`, evidence: 'letters/batch-1' }] })),
  ).toMatch(/sentOn must be a real calendar date/);
  expect((await handle.query(clockQuery)).facts.lawEnforcement ?? []).toEqual([]);

  // 164.412(b): an oral statement on day 10 delays every federal notice by 30 days.
  const statedOn = addCalendarDays(discovered, 10);
  view = await handle.executeUpdate(recordLawEnforcementDelayUpdate, {
    args: [{ proof: await proveNow('U-legal', 'clock.delay', handle.workflowId), statement: { form: 'oral', statedOn, official: 'Det. Roe', agency: 'City PD', reference: 'legal/le-call.md' } }],
  });
  const ninety = addCalendarDays(discovered, 90);
  expect(view.obligations.every((o) => o.deadline === ninety && o.delayedDays === 30)).toBe(true);

  // The original deadline passes without escalation: the clock follows the moved deadline.
  await advanceTo(dayStart(t0, 63));
  expect(escalations.filter((e) => e.incidentId === incidentId)).toEqual([]);
  // Each of the three obligations (same moved deadline) is reminded once, 30 days before it.
  expect(remindersOf(incidentId).map(([when, ob, left]) => [String(when).slice(0, 10), ob, left]).sort()).toEqual(
    ['hhs', 'individuals', 'media:CA'].map((ob) => [addCalendarDays(ninety, -30), ob, 30]),
  );

  view = await handle.executeUpdate(recordNoticeSentUpdate, { args: [{ proof: await proveNow('U-privacy', 'clock.notice', handle.workflowId, { subject: { obligationId: 'media:CA' } }), obligationId: 'media:CA', sentOn: utcDate(await env.currentTimeMs()), evidence: 'press/release-1' }] });
  expect(view.obligations.find((o) => o.id === 'media:CA')!.status).toBe('sent');

  expect(
    await updateRefusal(
      handle.executeUpdate(recordRiskAssessmentUpdate, {
        args: [{ proof: await proveNow('U-privacy', 'clock.assessment.close', handle.workflowId, { subject: { conclusion: 'low-probability-of-compromise' } }), assessment: { natureAndExtent: 'x', unauthorizedPerson: '', acquiredOrViewed: 'x', mitigation: 'x', conclusion: 'low-probability-of-compromise', assessedBy: 'P', reference: 'r' } }],
      }),
    ),
  ).toMatch(/unauthorizedPerson/);
  const assessment = {
    natureAndExtent: 'claim numbers and dates of service; no clinical notes',
    unauthorizedPerson: 'a covered entity bound by HIPAA, received in error',
    acquiredOrViewed: 'forensic review: file never opened',
    mitigation: 'written attestation of destruction obtained',
    conclusion: 'low-probability-of-compromise' as const,
    assessedBy: 'Privacy Officer',
    reference: 'compliance/risk-assessment-2026-07.pdf',
  };
  await handle.executeUpdate(recordRiskAssessmentUpdate, {
    args: [{ proof: await proveNow('U-privacy', 'clock.assessment.close', handle.workflowId, { subject: { conclusion: assessment.conclusion } }), assessment }],
  });
  const final = await handle.result();
  expect(final.status).toBe('closed-no-notification');
  expect(final.riskAssessment).toEqual(assessment);
  expect(final.obligations.map((o) => [o.id, o.status])).toEqual([
    ['hhs', 'not-required'],
    ['individuals', 'not-required'],
    ['media:CA', 'sent'],
  ]);
  expect(final.changes.map((c) => c.what)).toEqual(['clock.started', 'clock.facts', 'clock.law-enforcement-delay', 'clock.notice-sent', 'clock.risk-assessment', 'clock.closed']);
  expect(eventsOf(incidentId, 'clock.risk-assessment')[0]!.details).toEqual(expect.objectContaining({ conclusion: 'low-probability-of-compromise' }));
});

test('a discovery dated in the past: one catch-up message, not a burst of stale ones', async () => {
  const now = await env.currentTimeMs();
  const near = await startClock('near', { role: 'business-associate' }, { discoveredAt: addCalendarDays(utcDate(now), -55) });
  const past = await startClock('past', { role: 'business-associate' }, { discoveredAt: addCalendarDays(utcDate(now), -70) });
  await env.sleep('1 hour');
  expect(remindersOf(near.incidentId).map(([, , left]) => left)).toEqual([expect.any(Number)]);
  expect(posts.filter((p) => p.incidentId === near.incidentId)).toHaveLength(1);
  const overdue = escalations.filter((e) => e.incidentId === past.incidentId);
  expect(overdue).toHaveLength(1);
  expect(overdue[0]!.message).toMatch(/OVERDUE by 10 days/);
  expect(remindersOf(past.incidentId)).toEqual([]);
  expect((await past.handle.query(clockQuery)).status).toBe('overdue');
  await env.sleep('1 day');
  expect(escalations.filter((e) => e.incidentId === past.incidentId)).toHaveLength(2);
  for (const c of [near, past]) await c.handle.terminate('test done');
});

test('a long-lived clock continues as new with its deadline, reminders and notices intact', async () => {
  // A tiny history limit makes the clock continue as new every few reminders.
  const { handle, t0, incidentId } = await startClock('long-lived', { role: 'business-associate' }, { historyLimit: 40 });
  const statedOn = utcDate(t0);
  const delayed = await handle.executeUpdate(recordLawEnforcementDelayUpdate, {
    args: [{ proof: await proveNow('U-legal', 'clock.delay', handle.workflowId), statement: { form: 'written', statedOn, until: addCalendarDays(statedOn, 20), official: 'SA Doe', agency: 'FBI', reference: 'legal/le-letter.pdf' } }],
  });
  const deadline = delayed.obligations[0]!.deadline;
  expect(deadline).not.toBe(addCalendarDays(statedOn, 60)); // the delay moved it

  const endOfDeadlineDay = Date.parse(`${deadline}T00:00:00Z`) + 24 * 3_600_000;
  await advanceTo(endOfDeadlineDay - 3 * 3_600_000);
  const described = await handle.describe();
  expect(described.runId).not.toBe(handle.firstExecutionRunId);

  // Each reminder once, counted from the delayed deadline: nothing repeated or lost across runs.
  const at9 = (n: number) => `${addCalendarDays(deadline, -n)}T09:00:00.000Z`;
  expect(remindersOf(incidentId)).toEqual([30, 14, 7, 3, 1].map((n) => [at9(n), 'covered-entity', n]));
  const view = await handle.query(clockQuery);
  expect(view.obligations[0]).toMatchObject({ deadline, status: 'pending' });
  expect(view.facts).toEqual(delayed.facts); // the law-enforcement statement came along
  expect(view.changes).toEqual(delayed.changes);

  await handle.executeUpdate(recordNoticeSentUpdate, { args: [{ proof: await proveNow('U-privacy', 'clock.notice', handle.workflowId, { subject: { obligationId: 'covered-entity' } }), obligationId: 'covered-entity', sentOn: deadline, evidence: 'evidence/ba-letter.pdf' }] });
  const final = await env.client.workflow.getHandle<typeof breachClockWorkflow>(handle.workflowId).result();
  expect(final.status).toBe('closed');
  expect(final.notices).toEqual([expect.objectContaining({ obligationId: 'covered-entity', sentOn: deadline, late: false })]);
  expect(escalations.filter((e) => e.incidentId === incidentId)).toEqual([]);
});
