/**
 * A worker lost in the middle of an AWS call (kill -9 while moto's UpdateAccessKey hangs): how long
 * until another worker's retry reaches AWS, and until the playbook completes. Bounded by the
 * heartbeat timeout, not by the step's 5-minute timeout. One run of the scenario the test asserts.
 */
import { loseWorkerMidAwsCall, STEP_TIMEOUT } from '../test/support/lost-worker';

export default async function lostWorker(): Promise<void> {
  // The worker processes load the bundle bench/run.ts built, so the figure measures failover, not bundling.
  const run = await loseWorkerMidAwsCall();
  if (run.activity.attempt !== 2 || !run.activity.completed) throw new Error(`unexpected run: ${JSON.stringify(run.activity)}`);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log(`worker lost mid-AWS-call → retried on another worker: ${s(run.retriedAfterMs)} s (heartbeat timeout ${run.heartbeatTimeoutSeconds} s)`);
  console.log(`                          → playbook completed:          ${s(run.completedAfterMs)} s (step timeout ${STEP_TIMEOUT})`);
}
