import { asyncLocalStorage } from '@temporalio/activity';

/**
 * Every activity heartbeats while it runs. A worker that dies mid-call (kill -9, a lost node) then
 * costs the activity's heartbeat timeout, not its start-to-close timeout: the server notices the
 * silence and retries the attempt on another worker. Heartbeats are also how Temporal delivers
 * cancellation to an activity; the AWS clients and fetch calls stop on the signal it trips.
 *
 * An interval rather than calls at chosen points: a single long AWS call is covered as well as a
 * paginated read, and no activity can forget to call it. The SDK throttles what reaches the server.
 */

/** Without a heartbeat timeout a heartbeat still carries cancellation; the SDK sends it at most every 30 s anyway. */
const WITHOUT_TIMEOUT_MS = 5_000;

export function heartbeatEveryMs(heartbeatTimeoutMs: number | undefined): number {
  return heartbeatTimeoutMs ? Math.max(50, Math.floor(heartbeatTimeoutMs / 3)) : WITHOUT_TIMEOUT_MS;
}

type ActivityFn = (...args: never[]) => Promise<unknown>;

function whileRunning<F extends ActivityFn>(fn: F): F {
  const wrapped = async (...args: Parameters<F>) => {
    const ctx = asyncLocalStorage.getStore();
    // Called outside an activity (a dry-run planner, a test): nobody to heartbeat to.
    if (!ctx) return fn(...args);
    const timer = setInterval(() => ctx.heartbeat(), heartbeatEveryMs(ctx.info.heartbeatTimeoutMs));
    try {
      return await fn(...args);
    } catch (err) {
      // Whatever an interrupted call threw after cancellation (an AbortError, a classified
      // failure wrapping it) is the cancellation: report it as such, not as a failed attempt.
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      throw err;
    } finally {
      clearInterval(timer);
    }
  };
  return wrapped as F;
}

/** The same activities, each heartbeating while it runs. */
export function heartbeating<T extends Record<string, ActivityFn>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, whileRunning(fn)])) as T;
}

/** The running activity's cancellation signal; undefined outside an activity. */
export function activityCancellation(): AbortSignal | undefined {
  return asyncLocalStorage.getStore()?.cancellationSignal;
}

/** For fetch: gives up after `timeoutMs`, or as soon as the activity is cancelled. */
export function requestSignal(timeoutMs: number): AbortSignal {
  const cancelled = activityCancellation();
  const timeout = AbortSignal.timeout(timeoutMs);
  return cancelled ? AbortSignal.any([timeout, cancelled]) : timeout;
}
