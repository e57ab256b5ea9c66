/**
 * The Temporal Schedule that reconciles break-glass access (`access-reconciliation`): created at
 * the worker's start when profiles are configured, its interval updated when the setting changed,
 * deleted when no profile is left. A Schedule, not a timer loop in a workflow: it survives every
 * worker and its runs are listed (and can be triggered) in the Temporal UI and CLI.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { ACCESS_RECONCILIATION_SCHEDULE } from '../domain/ids';
import { parseDurationMs } from '../domain/duration';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { ACCESS_RECONCILIATION_WORKFLOW } from '../workflows/access/definitions';

export async function ensureAccessReconciliation(client: Client, config: Config, log?: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  const handle = client.schedule.getHandle(ACCESS_RECONCILIATION_SCHEDULE);
  const every = parseDurationMs(config.access.reconcileEvery)!;
  const existing = await handle.describe().catch((err: unknown) => {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  });
  if (Object.keys(config.access.profiles).length === 0) {
    if (existing) await handle.delete();
    return;
  }
  const action = {
    type: 'startWorkflow' as const,
    workflowType: ACCESS_RECONCILIATION_WORKFLOW,
    taskQueue: config.temporal.taskQueue,
    workflowId: `${ACCESS_RECONCILIATION_SCHEDULE}/run`,
    args: [],
  };
  const spec = { intervals: [{ every }] };
  if (!existing) {
    await client.schedule.create({ scheduleId: ACCESS_RECONCILIATION_SCHEDULE, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: every } });
    log?.info({ every: config.access.reconcileEvery }, 'break-glass reconciliation scheduled');
    return;
  }
  await handle.update((prev) => ({ ...prev, spec, action }));
}
