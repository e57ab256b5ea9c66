import { z } from 'zod';

const count = (min: number) => z.coerce.number().int().min(min);

/**
 * How much one worker holds and does at once. The workflow cache is what memory scales with: each
 * cached workflow (an open incident, a breach clock) keeps its state and its history's machinery
 * in the worker; an evicted one costs nothing until its next task (a timer, a signal, a query),
 * which replays its history first. Open clocks and incidents wait for days, so most of them need
 * not be cached: the default keeps the busy ones and bounds the rest (README "Performance").
 */
export const WorkerSchema = z
  .object({
    /** workflows kept in the worker's cache; 0 turns the cache off (every task replays) */
    maxCachedWorkflows: count(0).default(250),
    /** workflow tasks run at once */
    maxConcurrentWorkflowTasks: count(2).default(40),
    /** activities run at once (AWS calls, audit appends, Slack messages) */
    maxConcurrentActivities: count(1).default(100),
    /** local activities run at once */
    maxConcurrentLocalActivities: count(1).default(100),
    /** long polls kept open for workflow tasks */
    workflowTaskPollers: count(2).default(10),
    /** long polls kept open for activity tasks */
    activityTaskPollers: count(1).default(10),
    /**
     * threads running workflow code, the cache shared among them (the SDK's default: 1); more let
     * the replays of evicted workflows (a query, a timer) run side by side on more cores
     */
    workflowThreads: count(1).default(1),
  })
  .prefault({})
  .superRefine((worker, ctx) => {
    // The SDK would lower these silently; a setting that does not take effect is an error here.
    if (worker.maxCachedWorkflows === 1) ctx.addIssue({ code: 'custom', path: ['maxCachedWorkflows'], message: '0 (no cache) or at least 2' });
    if (worker.maxCachedWorkflows > 0 && worker.maxConcurrentWorkflowTasks > worker.maxCachedWorkflows) {
      ctx.addIssue({ code: 'custom', path: ['maxConcurrentWorkflowTasks'], message: `at most worker.maxCachedWorkflows (${worker.maxCachedWorkflows}) while the cache is on` });
    }
    if (worker.workflowTaskPollers > worker.maxConcurrentWorkflowTasks) {
      ctx.addIssue({ code: 'custom', path: ['workflowTaskPollers'], message: `at most worker.maxConcurrentWorkflowTasks (${worker.maxConcurrentWorkflowTasks})` });
    }
    if (worker.activityTaskPollers > worker.maxConcurrentActivities) {
      ctx.addIssue({ code: 'custom', path: ['activityTaskPollers'], message: `at most worker.maxConcurrentActivities (${worker.maxConcurrentActivities})` });
    }
  });

export type WorkerSettings = z.infer<typeof WorkerSchema>;

export const WORKER_ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: 'worker.maxCachedWorkflows',
  TOURNIQUET_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'worker.maxConcurrentWorkflowTasks',
  TOURNIQUET_WORKER_MAX_CONCURRENT_ACTIVITIES: 'worker.maxConcurrentActivities',
  TOURNIQUET_WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: 'worker.maxConcurrentLocalActivities',
  TOURNIQUET_WORKER_WORKFLOW_TASK_POLLERS: 'worker.workflowTaskPollers',
  TOURNIQUET_WORKER_ACTIVITY_TASK_POLLERS: 'worker.activityTaskPollers',
  TOURNIQUET_WORKER_WORKFLOW_THREADS: 'worker.workflowThreads',
};
