/**
 * The Temporal Schedule that keeps the drill cadence (`drill-cadence`): created at the worker's
 * start, its interval updated when `drills.checkEvery` changed. A Schedule, not a timer loop in a
 * workflow: it survives every worker, and its runs are listed (and can be triggered) in the Temporal
 * UI and CLI.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { parseDurationMs } from '../domain/duration';
import { DRILL_CADENCE_SCHEDULE } from '../domain/ids';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { DRILL_CADENCE_WORKFLOW } from '../workflows/drill-cadence-definitions';

export async function ensureDrillCadence(client: Client, config: Config, log?: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  const handle = client.schedule.getHandle(DRILL_CADENCE_SCHEDULE);
  const every = parseDurationMs(config.drills.checkEvery)!;
  const existing = await handle.describe().catch((err: unknown) => {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  });
  const action = {
    type: 'startWorkflow' as const,
    workflowType: DRILL_CADENCE_WORKFLOW,
    taskQueue: config.temporal.taskQueue,
    workflowId: `${DRILL_CADENCE_SCHEDULE}/run`,
    args: [],
  };
  const spec = { intervals: [{ every }] };
  if (!existing) {
    try {
      await client.schedule.create({ scheduleId: DRILL_CADENCE_SCHEDULE, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: every } });
      log?.info({ every: config.drills.checkEvery }, 'drill cadence scheduled');
      return;
    } catch (err) {
      // Another worker starting at the same moment created it: update it below like any existing one.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
  await handle.update((prev) => ({ ...prev, spec, action }));
}
