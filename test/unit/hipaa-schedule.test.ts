/** When the clock speaks: reminders before a deadline, one catch-up after a gap, daily escalation after it. */
import { DAY_MS, daysLeft, dueActions, markDone, obligationsFor, reminderTimes, type ObligationProgress } from '../../domain/hipaa';

const settings = { role: 'business-associate' as const, timeZone: 'America/New_York', reminderDays: [30, 14, 7, 3, 1], additional: [] };
const [ob] = obligationsFor({ discoveredAt: '2026-01-01', affected: 5, byState: {}, insufficientContact: 0, lawEnforcement: [] }, settings);
const at = (iso: string) => Date.parse(iso);

test('reminders at 09:00 local on the configured days before the deadline', () => {
  expect(ob!.deadline).toBe('2026-03-02');
  expect(reminderTimes(ob!, settings.reminderDays, settings.timeZone).map((r) => [r.daysBefore, new Date(r.at).toISOString()])).toEqual([
    [30, '2026-01-31T14:00:00.000Z'],
    [14, '2026-02-16T14:00:00.000Z'],
    [7, '2026-02-23T14:00:00.000Z'],
    [3, '2026-02-27T14:00:00.000Z'],
    [1, '2026-03-01T14:00:00.000Z'],
  ]);
});

test.each([
  ['at discovery nothing is due; the next is the 30-day reminder', '2026-01-01T12:00:00Z', [], '2026-01-31T14:00:00.000Z'],
  ['a minute before a reminder', '2026-01-31T13:59:00Z', [], '2026-01-31T14:00:00.000Z'],
  ['after a gap, only the latest missed reminder', '2026-02-24T00:00:00Z', [['remind', 7]], '2026-02-27T14:00:00.000Z'],
  ['the last minute of the deadline day (EST)', '2026-03-03T04:59:00Z', [['remind', 1]], '2026-03-03T05:00:00.000Z'],
  ['the deadline day ended', '2026-03-03T05:00:00Z', [['escalate', 0]], '2026-03-04T05:00:00.000Z'],
  ['ten days late after a gap: one escalation', '2026-03-13T06:00:00Z', [['escalate', 10]], '2026-03-14T05:00:00.000Z'],
])('%s', (_why, now, due, next) => {
  const plan = dueActions([ob!], {}, settings.reminderDays, settings.timeZone, at(now));
  expect(plan.due.map((a) => [a.kind, a.kind === 'remind' ? a.daysBefore : a.daysOverdue])).toEqual(due);
  expect(new Date(plan.next!).toISOString()).toBe(next);
});

test('what is done is not repeated, and a catch-up stands for the reminders it replaced', () => {
  const progress: Record<string, ObligationProgress> = {};
  const now = at('2026-02-24T00:00:00Z');
  const [action] = dueActions([ob!], progress, settings.reminderDays, settings.timeZone, now).due;
  markDone(progress, action!, ob!, settings.reminderDays, settings.timeZone);
  expect(progress[ob!.id]!.reminded).toEqual(['2026-03-02:30', '2026-03-02:14', '2026-03-02:7']);
  expect(dueActions([ob!], progress, settings.reminderDays, settings.timeZone, now).due).toEqual([]);
  const late = at('2026-03-05T06:00:00Z');
  const [esc] = dueActions([ob!], progress, settings.reminderDays, settings.timeZone, late).due;
  markDone(progress, esc!, ob!, settings.reminderDays, settings.timeZone);
  expect(dueActions([ob!], progress, settings.reminderDays, settings.timeZone, late).due).toEqual([]);
  expect(dueActions([ob!], progress, settings.reminderDays, settings.timeZone, late + DAY_MS).due).toHaveLength(1);
});

test.each([
  ['09:00 one day before', '2026-03-01T14:00:00Z', 1],
  ['the deadline day', '2026-03-02T14:00:00Z', 0],
  ['an hour after the deadline', '2026-03-03T06:00:00Z', -1],
])('days left: %s', (_why, now, left) => {
  expect(daysLeft(ob!, at(now))).toBe(left);
});
