/**
 * CloudTrail evidence through the real CloudTrail SDK client, against a local endpoint speaking
 * CloudTrail's JSON protocol (the AWS emulator has no LookupEvents): paging, the window and the
 * principal asked for, the cap, and refusals classified.
 */
import { ApplicationFailure } from '@temporalio/common';
import { cloudTrailEvents } from '../../activities/evidence/aws-state';
import { cloudTrailEndpoint } from '../support/cloudtrail-endpoint';

const until = new Date('2026-11-29T12:00:00Z');
const since = new Date('2026-11-28T12:00:00Z');

test('the principal\'s events in the window are collected across pages', async () => {
  const endpoint = await cloudTrailEndpoint([50, 50, 7]);
  try {
    const out = await cloudTrailEvents(endpoint.client, 'svc-export', since, until);
    expect(out).toMatchObject({ userName: 'svc-export', since: since.toISOString(), until: until.toISOString() });
    expect(out.events).toHaveLength(107);
    expect(new Set(out.events.map((e) => e.EventId)).size).toBe(107);
    expect(endpoint.received.map((r) => r.target)).toEqual(Array(3).fill('CloudTrail_20131101.LookupEvents'));
    expect(endpoint.received[0]!.body).toMatchObject({
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'svc-export' }],
      StartTime: since.getTime() / 1000,
      EndTime: until.getTime() / 1000,
    });
    expect(endpoint.received.map((r) => r.body.NextToken)).toEqual([undefined, '1', '2']);
  } finally {
    await endpoint.close();
  }
});

test('a principal with thousands of events: collection stops after 1,000, not at the end of time', async () => {
  const endpoint = await cloudTrailEndpoint(Array(50).fill(50));
  try {
    const out = await cloudTrailEvents(endpoint.client, 'svc-busy', since, until);
    expect(out.events).toHaveLength(1_000);
    expect(endpoint.received).toHaveLength(20);
  } finally {
    await endpoint.close();
  }
});

test.each([
  [{ status: 400, type: 'ThrottlingException' }, false],
  [{ status: 400, type: 'AccessDeniedException' }, true],
])('a refusal (%o) fails the collection, classified retryable or not', async (error, nonRetryable) => {
  const endpoint = await cloudTrailEndpoint([], error);
  try {
    const failure = await cloudTrailEvents(endpoint.client, 'svc-export', since, until).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable, type: error.type });
    expect((failure as Error).message).toMatch(/cloudtrail LookupEvents/);
  } finally {
    await endpoint.close();
  }
});
