/**
 * A worker lost in the middle of an AWS call (kill -9 while moto's UpdateAccessKey hangs): how long
 * until another worker's retry reaches AWS, and until the playbook completes. Bounded by the
 * heartbeat timeout, not by the step's 5-minute timeout. One run of the scenario the test asserts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loseWorkerMidAwsCall, STEP_TIMEOUT } from '../test/support/lost-worker';

/** The worker processes load a prebuilt bundle, so the figure measures failover, not bundling. */
async function workflowBundle(): Promise<string> {
  const root = join(__dirname, '..');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(join(root, 'workflows')),
    failureConverterPath: require.resolve(join(root, 'platform', 'failure-converter')),
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, log: () => undefined },
  });
  const dir = join(tmpdir(), `tourniquet-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'workflow-bundle.js'), code);
  return join(dir, 'workflow-bundle.js');
}

export default async function lostWorker(): Promise<void> {
  process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE ??= await workflowBundle();
  const run = await loseWorkerMidAwsCall();
  if (run.activity.attempt !== 2 || !run.activity.completed) throw new Error(`unexpected run: ${JSON.stringify(run.activity)}`);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log(`worker lost mid-AWS-call → retried on another worker: ${s(run.retriedAfterMs)} s (heartbeat timeout ${run.heartbeatTimeoutSeconds} s)`);
  console.log(`                          → playbook completed:          ${s(run.completedAfterMs)} s (step timeout ${STEP_TIMEOUT})`);
}
