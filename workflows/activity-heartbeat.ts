import type { Duration } from '@temporalio/common';

/**
 * Every activity heartbeats while it runs (activities/heartbeat.ts). A worker lost mid-call is
 * noticed after this much silence and the attempt is retried on another worker, instead of sitting
 * until the step's start-to-close timeout. Changing activity options never breaks replay: only
 * the commands' kinds, activity types and ids are compared with history.
 */
export const ACTIVITY_HEARTBEAT_TIMEOUT: Duration = '10s';
