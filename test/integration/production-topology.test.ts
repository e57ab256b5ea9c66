/**
 * Tourniquet as it runs on many machines (test/support/production-topology.ts): two workers and two
 * ingresses as separate processes with separate data directories, one Temporal server, the audit
 * ledger in PostgreSQL, evidence and raw payloads in S3 with Object Lock (moto). A worker is killed
 * mid-playbook; every incident still ends contained, each AWS write is made and recorded once, the
 * chain has no gap and no duplicate, and a third process verifies the ledger and the evidence.
 */
import { runProductionTopology, type TopologyResult } from '../support/production-topology';

let result: TopologyResult;
beforeAll(async () => {
  result = await runProductionTopology();
}, 180_000);

test('every incident reaches its end state though the worker running its playbook was killed', () => {
  expect(result.killedWorker).not.toBe(result.survivor);
  expect(result.incidents).toHaveLength(3);
  for (const incident of result.incidents) {
    expect(incident).toMatchObject({ status: 'contained', revokeKey: 'succeeded', keyStatus: 'Inactive' });
  }
});

test('each AWS write is on the ledger once; one chain for every process, without gap or duplicate', () => {
  expect(result.ledger.gapFree).toBe(true);
  expect(result.ledger.duplicateIds).toBe(0);
  expect(result.ledger.awsWrites).toBeGreaterThanOrEqual(3); // one deactivation per key, and the sessions' deny
  expect(result.ledger.duplicateAwsWrites).toBe(0);
  // the ingresses and the workers all appended to it
  expect(result.ledger.writers).toEqual(expect.arrayContaining(['alert:generic', 'ingress']));
});

test('a retried delivery through the other ingress attaches once; an id reused there for other content is refused', () => {
  for (const incident of result.incidents) expect(incident.alerts).toBe(1);
  expect(result.reusedId).toEqual({ first: 202, reusedElsewhere: 409 });
});

test('the raw payloads either ingress received are in the shared store, for any worker to snapshot', () => {
  expect(result.rawPayloadsReferenced).toBe(3);
  expect(result.rawPayloadsFound).toBe(3);
});

test('audit verify (chain, signed anchors, coverage) and evidence verify pass from a third process', () => {
  expect(result.auditVerify.out).toMatch(/intact, \d+ records/);
  expect(result.auditVerify.out).toMatch(/coverage: all \d+ AWS write\(s\) the workflows report are on the ledger/);
  expect(result.auditVerify.code).toBe(0);
  for (const check of result.evidenceVerify) expect(check).toMatchObject({ code: 0 });
});
