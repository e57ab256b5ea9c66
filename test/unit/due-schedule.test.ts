import { DAY_MS, markDueDone, nextDueAction, noProgress, type DueProgress } from '../../domain/due-schedule';
import { dueInstant, rejectClosure, rejectDueAt, rejectFollowUp } from '../../domain/follow-up';
import { followUpId, followUpOf, incidentOfOrigin, reviewId } from '../../domain/ids';

const due = Date.parse('2027-03-10T17:00:00Z');
const days = (n: number) => n * DAY_MS;
const created = due - days(20);

test.each<[string, number, DueProgress, number, ReturnType<typeof nextDueAction>]>([
  ['nothing yet: wake at the 7-day reminder', created, noProgress(), created + days(1), { next: due - days(7) }],
  ['the 7-day reminder is due', created, noProgress(), due - days(7), { due: { kind: 'remind', daysBefore: 7, at: due - days(7) } }],
  ['7 sent: wake at the 1-day reminder', created, { reminded: [7], escalations: 0 }, due - days(6), { next: due - days(1) }],
  ['a worker away for both sends the nearest only', created, noProgress(), due - days(1) + 1, { due: { kind: 'remind', daysBefore: 1, at: due - days(1) } }],
  ['created 3 days before: no 7-day reminder', due - days(3), noProgress(), due - days(3), { next: due - days(1) }],
  ['both reminded: wake at the due time', created, { reminded: [7, 1], escalations: 0 }, due - 1, { next: due }],
  ['due now: the first escalation', created, { reminded: [7, 1], escalations: 0 }, due, { due: { kind: 'escalate', daysOverdue: 0, at: due, count: 1 }, next: due + days(1) }],
  ['reminders never sent once overdue', created, noProgress(), due + 5, { due: { kind: 'escalate', daysOverdue: 0, at: due, count: 1 }, next: due + days(1) }],
  ['escalated once: wake a day later', created, { reminded: [7, 1], escalations: 1 }, due + days(0.5), { next: due + days(1) }],
  ['away three days: one escalation for the day it is', created, { reminded: [7, 1], escalations: 1 }, due + days(3.5), { due: { kind: 'escalate', daysOverdue: 3, at: due + days(3), count: 4 }, next: due + days(4) }],
])('%s', (_name, since, progress, now, expected) => {
  expect(nextDueAction(due, [7, 1], progress, since, now)).toEqual(expected);
});

test('a reminder marks the earlier ones it stood for; an escalation counts up to the one owed', () => {
  expect(markDueDone(noProgress(), { kind: 'remind', daysBefore: 1, at: 0 }, [7, 1])).toEqual({ reminded: [7, 1], escalations: 0 });
  expect(markDueDone(noProgress(), { kind: 'remind', daysBefore: 7, at: 0 }, [7, 1])).toEqual({ reminded: [7], escalations: 0 });
  expect(markDueDone({ reminded: [7, 1], escalations: 1 }, { kind: 'escalate', daysOverdue: 3, at: 0, count: 4 }, [7, 1]).escalations).toBe(4);
});

test.each<[string, Parameters<typeof rejectFollowUp>[0], RegExp | undefined]>([
  ['a finding with an owner and a date', { title: 'Rotate keys yearly', owner: 'alice@example.org', dueAt: '2027-04-01' }, undefined],
  ['an instant is a due date too', { title: 'x', owner: 'U123', dueAt: '2027-04-01T12:00:00Z' }, undefined],
  ['no title', { title: ' ', owner: 'U1', dueAt: '2027-04-01' }, /needs a title/],
  ['an owner with spaces is no person id', { title: 'x', owner: 'Alice Smith', dueAt: '2027-04-01' }, /person id/],
  ['words are no date', { title: 'x', owner: 'U1', dueAt: 'next Friday' }, /ISO date/],
  ['30 February is a typo', { title: 'x', owner: 'U1', dueAt: '2027-02-30T00:00:00Z' }, /ISO date/],
])('follow-up: %s', (_name, fields, expected) => {
  const why = rejectFollowUp(fields);
  if (expected) expect(why).toMatch(expected);
  else expect(why).toBeUndefined();
});

test('a date alone is due at the end of that day; closure needs evidence and a note', () => {
  expect(new Date(dueInstant('2027-04-01')).toISOString()).toBe('2027-04-01T23:59:59.999Z');
  expect(rejectDueAt('2027-13-01')).toMatch(/ISO date/);
  expect(rejectClosure({ evidence: '', note: 'done' })).toMatch(/evidence/);
  expect(rejectClosure({ evidence: 'PR 1', note: ' ' })).toMatch(/note/);
  expect(rejectClosure({ evidence: 'PR 1', note: 'done' })).toBeUndefined();
});

test('follow-up ids name their origin, and through it the incident', () => {
  const review = reviewId('incident/abc123');
  expect(review).toBe('review/abc123');
  const id = followUpId(review, 'f1');
  expect(id).toBe('follow-up/review/abc123/f1');
  expect(followUpOf(id)).toEqual({ origin: 'review/abc123', key: 'f1' });
  expect(incidentOfOrigin(followUpOf(id)!.origin)).toBe('incident/abc123');
  expect(incidentOfOrigin('drill/quarterly-2027q1')).toBeUndefined();
  expect(followUpOf('incident/abc')).toBeUndefined();
  expect(() => followUpId(review, '../x')).toThrow(/key/);
});
