/**
 * The clock's reminder and escalation activities against the real hash-chained audit log: a Slack
 * post that fails is retried (Temporal runs the activity again) without a second audit record, and
 * an audit append that fails stops the post, so a retry never posts twice.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainLog, verifyAuditLog, type AuditRecord } from '../../activities/audit';
import { createClockActivities, type ClockNotice } from '../../activities/clock';
import type { Escalation, Notifier } from '../../activities/notifier';
import { parseConfig } from '../../platform/config';

const notice: ClockNotice = {
  clockId: 'breach-clock/abc',
  incidentId: 'incident/abc',
  obligation: { id: 'individuals', kind: 'individual-notice', notifies: 'each individual', deadline: '2027-01-28', rule: '164.404(b)' },
  days: 14,
  at: '2027-01-14T09:00:00.000Z',
};

function setup(failures: number, auditFailures = 0) {
  const path = join(mkdtempSync(join(tmpdir(), 'tq-clock-notices-')), 'audit.log');
  const posts: string[] = [];
  const escalations: Escalation[] = [];
  let left = failures;
  const flaky = () => {
    if (left-- > 0) throw new Error('slack: ratelimited');
  };
  const notifier: Notifier = {
    announce: async () => undefined,
    requestApproval: async () => undefined,
    post: async (_incident, text) => {
      flaky();
      posts.push(text);
    },
    targetMissed: async () => undefined, escalate: async (e) => {
      flaky();
      escalations.push(e);
    },
  };
  const log = chainLog({ path });
  let auditLeft = auditFailures;
  const audit = {
    append: async (event: Parameters<typeof log.append>[0]) => {
      if (auditLeft-- > 0) throw new Error('audit: disk full');
      return log.append(event);
    },
  };
  const acts = createClockActivities({ notifier, audit, clocks: { ...parseConfig({}).clocks, escalationGroup: 'privacy-office' } });
  const records = () => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
  return { acts, posts, escalations, records, path };
}

test('a reminder whose post fails is retried: posted once, audited once', async () => {
  const { acts, posts, records, path } = setup(2);
  await expect(acts.remindClock(notice)).rejects.toThrow(/ratelimited/);
  await expect(acts.remindClock(notice)).rejects.toThrow(/ratelimited/);
  await acts.remindClock(notice);
  expect(posts).toEqual([expect.stringContaining('14 days left')]);
  expect(records().filter((r) => r.what === 'clock.reminder')).toHaveLength(1);
  expect(await verifyAuditLog(path)).toMatchObject({ intact: true });

  // The next day's reminder is another record.
  await acts.remindClock({ ...notice, days: 13, at: '2027-01-15T09:00:00.000Z' });
  expect(records().filter((r) => r.what === 'clock.reminder').map((r) => r.details?.daysLeft)).toEqual([14, 13]);
});

test('a reminder whose audit append fails posts nothing until it is audited', async () => {
  const { acts, posts, records } = setup(0, 1);
  await expect(acts.remindClock(notice)).rejects.toThrow(/disk full/);
  expect(posts).toEqual([]);
  await acts.remindClock(notice);
  expect(posts).toHaveLength(1);
  expect(records().filter((r) => r.what === 'clock.reminder')).toHaveLength(1);
});

test('an escalation whose post fails is retried: sent once to the group, audited once', async () => {
  const { acts, escalations, records } = setup(1);
  const overdue = { ...notice, days: 3, at: '2027-01-31T09:00:00.000Z' };
  await expect(acts.escalateClock(overdue)).rejects.toThrow(/ratelimited/);
  await acts.escalateClock(overdue);
  expect(escalations).toEqual([expect.objectContaining({ group: 'privacy-office', message: expect.stringContaining('OVERDUE by 3 days') })]);
  expect(records().filter((r) => r.what === 'clock.overdue')).toHaveLength(1);
});
