/**
 * Breach clocks that follow the facts (45 CFR 164.404(a)(2)), on the time-skipping test server:
 * learning that the breach was known earlier moves discovery back and every deadline with it —
 * recorded with who and why — and the clock escalates at the corrected deadline, not the old one.
 * A later date, a future date, a missing reason or a forged grant change nothing; a clock a
 * person starts carries their grant, and a forged one starts no clock.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { createActivities, type Escalation, type Notifier } from '../../activities';
import { addCalendarDays } from '../../domain/hipaa';
import type { Action } from '../../domain/authority';
import type { Config } from '../../platform/config';
import type { breachClockWorkflow } from '../../workflows/breach-clock';
import { BREACH_CLOCK_WORKFLOW, clockQuery, correctDiscoveryUpdate, type BreachClockInput } from '../../workflows/breach-clock-definitions';
import { waitFor } from '../support/runbooks';
import { memoryAudit, startTimeSkippingServer, startWorker, testActivityDeps, testConfig } from '../support/temporal';
import { prove, TEST_SIGNING_KEY, type GrantOptions } from '../support/decisions';
import { updateRefusal } from '../support/refusals';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let config: Config;
let stopWorker: () => Promise<void>;
const escalations: Escalation[] = [];
const audit = memoryAudit();
const proveNow = async (by: string, action: Action, workflowId: string, options: GrantOptions = {}) => prove(by, action, workflowId, { ...options, at: new Date(await env.currentTimeMs()) });

const notifier: Notifier = { announce: async () => undefined, requestApproval: async () => undefined, targetMissed: async () => undefined, escalate: async (e) => void escalations.push(e), post: async () => undefined };

beforeAll(async () => {
  config = testConfig({ temporal: { taskQueue: 'clock-discovery' } });
  env = await startTimeSkippingServer(config);
  stopWorker = (await startWorker(env, config, createActivities(testActivityDeps({ notifier, audit })))).stop;
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);


async function start(name: string, over: Partial<BreachClockInput> = {}) {
  const today = utcDate(await env.currentTimeMs());
  const id = `breach-clock/${name}`;
  const input: BreachClockInput = {
    id,
    incidentId: `incident/${name}`,
    discoveredAt: today,
    settings: { role: 'covered-entity', timeZone: 'UTC', reminderDays: [7], additional: [] },
    ...over,
  };
  return { handle: await env.client.workflow.start<typeof breachClockWorkflow>(BREACH_CLOCK_WORKFLOW, { taskQueue: config.temporal.taskQueue, workflowId: id, args: [input] }), today };
}

test('discovery corrected 20 days earlier: every deadline moves 20 days earlier, and the clock escalates on the corrected one', async () => {
  const { handle, today } = await start('corrected');
  const id = handle.workflowId;
  const before = await handle.query(clockQuery);
  expect(before.obligations.find((o) => o.id === 'individuals')!.deadline).toBe(addCalendarDays(today, 60));

  // Refusals: later, future, no reason, not a date, forged. Nothing changes.
  const tomorrow = addCalendarDays(today, 1);
  const earlier = addCalendarDays(today, -20);
  expect(await updateRefusal(handle.executeUpdate(correctDiscoveryUpdate, { args: [{ proof: await proveNow('U-po', 'clock.discovery', id), discoveredAt: tomorrow, reason: 'x' }] }))).toMatch(/in the future/);
  expect(await updateRefusal(handle.executeUpdate(correctDiscoveryUpdate, { args: [{ proof: await proveNow('U-po', 'clock.discovery', id), discoveredAt: earlier, reason: ' ' }] }))).toMatch(/needs its reason/);
  expect(await updateRefusal(handle.executeUpdate(correctDiscoveryUpdate, { args: [{ proof: await proveNow('U-po', 'clock.discovery', id), discoveredAt: 'last month', reason: 'x' }] }))).toMatch(/ISO date/);
  expect(await updateRefusal(handle.executeUpdate(correctDiscoveryUpdate, { args: [{ proof: await proveNow('U-po', 'clock.discovery', id), discoveredAt: today, reason: 'x' }] }))).toMatch(/already/);
  const forged = await proveNow('U-po', 'clock.discovery', id, { key: { kid: TEST_SIGNING_KEY.kid, secretKey: 'c3'.repeat(32) } });
  expect(await updateRefusal(handle.executeUpdate(correctDiscoveryUpdate, { args: [{ proof: forged, discoveredAt: earlier, reason: 'x' }] }))).toMatch(/signature/);
  const otherAction = await proveNow('U-po', 'clock.facts', id);
  expect(await updateRefusal(handle.executeUpdate(correctDiscoveryUpdate, { args: [{ proof: otherAction, discoveredAt: earlier, reason: 'x' }] }))).toMatch(/clock.facts|action/);
  expect((await handle.query(clockQuery)).discoveryDate).toBe(today);

  const view = await handle.executeUpdate(correctDiscoveryUpdate, {
    args: [{ proof: await proveNow('U-po', 'clock.discovery', id), discoveredAt: earlier, reason: 'support ticket 4411 reported the export 20 days ago' }],
  });
  expect(view.discoveryDate).toBe(earlier);
  expect(view.obligations.map((o) => [o.id, o.deadline])).toEqual(before.obligations.map((o) => [o.id, addCalendarDays(o.deadline, -20)]));
  const change = view.changes.find((c) => c.what === 'clock.discovery')!;
  expect(change.by).toBe('U-po');
  expect(change.message).toContain(`discovery corrected ${today} → ${earlier} (support ticket 4411`);
  expect(change.message).toContain(`individuals ${addCalendarDays(today, 60)} → ${addCalendarDays(earlier, 60)}`);
  // The audit outbox delivers after the update answered: wait for it.
  const audited = (await waitFor(async () => audit.events.find((e) => e.what === 'clock.discovery' && e.correlationId === id), (e) => !!e))!;
  expect(audited.details).toMatchObject({ before: today, discoveredAt: earlier });
  // Moving it later again is refused: the clock ran from what was known.
  expect(await updateRefusal(handle.executeUpdate(correctDiscoveryUpdate, { args: [{ proof: await proveNow('U-po', 'clock.discovery', id), discoveredAt: today, reason: 'undo' }] }))).toMatch(/not later/);

  // The corrected deadline (40 days from now) passes: the escalation comes then, not at day 60.
  await env.sleep(41 * 86_400_000 + 3_600_000);
  const mine = escalations.filter((e) => e.incidentId === 'incident/corrected');
  expect(mine.length).toBeGreaterThanOrEqual(1);
  expect(mine[0]!.message).toMatch(/OVERDUE by 1 day/);
  expect((await handle.query(clockQuery)).status).toBe('overdue');
});

test('a clock a person starts records them; a forged start runs no clock', async () => {
  const id = 'breach-clock/person-started';
  const { handle } = await start('person-started', { started: { proof: await proveNow('U-po', 'clock.start', id), reason: 'triage found PHI in the export' } });
  // The grant is checked once the keys are read: then the start is recorded.
  const view = await waitFor(() => handle.query(clockQuery), (v) => v.changes.length > 0);
  expect(view.changes[0]).toMatchObject({ what: 'clock.started', by: 'U-po' });
  expect(view.changes[0]!.message).toContain('triage found PHI in the export');

  const forgedId = 'breach-clock/forged-start';
  const forged = await proveNow('U-po', 'clock.start', forgedId, { key: { kid: TEST_SIGNING_KEY.kid, secretKey: 'd4'.repeat(32) } });
  const { handle: bad } = await start('forged-start', { started: { proof: forged, reason: 'x' } });
  await expect(bad.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  expect(audit.events.filter((e) => e.correlationId === forgedId)).toEqual([]);
});
