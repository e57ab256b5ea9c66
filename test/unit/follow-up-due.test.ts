/** When a finding's fix is due: one row per severity and boundary, counted from the observation. */
import { followUpDue } from '../../domain/follow-up-due';

const FROM = '2024-05-02T11:00:00Z';

test.each([
  ['critical', {}, '2024-05-17T11:00:00.000Z', '15d'],
  ['high', {}, '2024-06-01T11:00:00.000Z', '30d'],
  ['medium', {}, '2024-07-31T11:00:00.000Z', '90d'],
  ['low', {}, '2024-10-29T11:00:00.000Z', '180d'],
  ['critical', { critical: '7d' }, '2024-05-09T11:00:00.000Z', '7d'],
  ['high', { critical: '7d' }, '2024-06-01T11:00:00.000Z', '30d'],
] as const)('%s with %j is due %s', (severity, table, due, within) => {
  expect(followUpDue(severity, FROM, table)).toEqual({ severity, within, from: '2024-05-02T11:00:00.000Z', due });
});

test.each([
  ['urgent', FROM, {}, /unknown severity "urgent"/],
  ['high', 'yesterday', {}, /"yesterday" is not a time/],
  ['high', FROM, { high: 'a month' }, /"a month" for high is not a duration/],
])('%s from %s with %j is refused', (severity, from, table, message) => {
  expect(() => followUpDue(severity, from, table)).toThrow(message);
});
