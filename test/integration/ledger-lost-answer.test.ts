/**
 * A write AWS made whose answer never came back: the worker is killed (kill -9) after moto applied
 * its UpdateAccessKey and before the answer reached it. The retry on another worker finds the key
 * already inactive and writes nothing, so no `aws.write` outcome exists for it; the ledger still
 * shows the write was ours, because each write request is recorded as sent before it leaves the
 * process (`aws.write.sent`, activities/aws/ledger.ts).
 */
import { loseWorkerMidAwsCall, type LostWorkerRun } from '../support/lost-worker';

jest.setTimeout(180_000);

let run: LostWorkerRun;
beforeAll(async () => {
  run = await loseWorkerMidAwsCall({ answerLost: true });
});

test('the write was made once, by the first attempt; the retry found it done', () => {
  expect(run.keyStatusAfter).toBe('Inactive');
  expect(run.activity.attempt).toBe(2);
  expect(run.activity.completed).toBe(true);
});

test('the ledger records the write the first attempt sent, with its incident and step, though its answer was lost', () => {
  const mine = run.ledger.filter((r) => r.why.incident === run.incidentId);
  const sent = mine.filter((r) => r.what === 'aws.write.sent');
  expect(sent.map((r) => r.details?.api)).toEqual(['iam:UpdateAccessKey']);
  expect(sent[0]).toMatchObject({ why: { step: 'revoke' }, details: { attempt: 1 } });
  // no outcome record: the only attempt that wrote never heard back, and the retry wrote nothing
  expect(mine.filter((r) => r.what === 'aws.write')).toEqual([]);
});

test('each record sent is on the ledger once', () => {
  const ids = run.ledger.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
});
