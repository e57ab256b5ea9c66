import type { Duration } from '@temporalio/common';

/**
 * Every activity heartbeats while it runs (activities/heartbeat.ts). A worker lost mid-call is
 * noticed after this much silence and the attempt is retried on another worker, instead of sitting
 * until the step's start-to-close timeout. Adding it to running workflows' options is safe for
 * replay: history is compared on command kind, activity type and id, not on timeouts.
 */
export const ACTIVITY_HEARTBEAT_TIMEOUT: Duration = '10s';
