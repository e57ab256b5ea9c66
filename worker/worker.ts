import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { Config } from '../platform/config';
import { createDataConverter } from '../platform/data-converter';
import type { WorkerSettings } from '../platform/worker-config';
import { workflowBundleSources } from './workflow-bundle';

export interface WorkerSetup {
  connection: NativeConnection;
  config: Config;
  activities: Activities;
  /** a prebuilt workflow bundle (tests build one once); otherwise workflows/ is bundled at start */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** `worker.*` settings as the SDK's worker options. */
export function workerTuning(worker: WorkerSettings): Partial<WorkerOptions> {
  return {
    maxCachedWorkflows: worker.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: worker.maxConcurrentWorkflowTasks,
    maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivities,
    maxConcurrentLocalActivityExecutions: worker.maxConcurrentLocalActivities,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: worker.workflowTaskPollers },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: worker.activityTaskPollers },
    workflowThreadPoolSize: worker.workflowThreads,
  };
}

/** The workflow bundle `npm run build` made beside the compiled worker (dist/), if this is it. */
export function builtWorkflowBundle(): WorkerOptions['workflowBundle'] {
  const codePath = join(__dirname, '..', 'workflow-bundle.js');
  return existsSync(codePath) ? { codePath } : undefined;
}

/** Without a prebuilt bundle (running from source), the worker bundles workflows/ as `npm run build` does. */
function bundledAtStart(): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions'> {
  const { workflowsPath, preloadModules } = workflowBundleSources(join(__dirname, '..'));
  return { workflowsPath, bundlerOptions: { preloadModules } };
}

export async function createWorker({ connection, config, activities, workflowBundle }: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(workflowBundle ? { workflowBundle } : bundledAtStart()),
    activities,
    dataConverter: createDataConverter(config),
    ...workerTuning(config.worker),
  });
}
