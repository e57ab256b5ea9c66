/**
 * A Tourniquet worker in a process of its own, wired as `npm start` wires its worker (settings
 * from the environment, the real activity dependencies), with the workflow bundle the test setup
 * built once. Tests kill it with SIGKILL to lose a worker in the middle of a call.
 *
 * Run with `node --require tsx/cjs`, not the tsx CLI: that would be a parent process relaying
 * signals, and SIGKILL on it would leave the worker running.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { connectionOptions } from '../../platform/temporal';
import { activityDeps } from '../../worker/activity-deps';
import { createWorker } from '../../worker/worker';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS must name the test server');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect(connectionOptions(config, config.temporal.address));
  const bundle = process.env.TOURNIQUET_TEST_WORKFLOW_BUNDLE;
  const worker = await createWorker({
    connection,
    config,
    activities: createActivities(activityDeps(config, createLogger('warn'))),
    workflowBundle: bundle ? { codePath: bundle } : undefined,
  });
  process.on('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  console.log(`worker running pid=${process.pid}`);
  await running;
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
