import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { AwsActivities } from '../../activities/aws';
import type { StepInput } from '../../activities/step';
import { ledgerIdsOf, type WriteAuthority } from '../../domain/ledger';
import type { Activities } from '../../activities';
import type { RunbookStep } from '../../domain/runbook';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from '../activity-heartbeat';
import { duration } from '../steps';

/**
 * The playbooks' activities, with the step's own timeout and retry policy when run from a runbook.
 * Final errors (AccessDenied, validation, not-found) are already non-retryable failures; throttling,
 * 5xx and WAF lock conflicts are retried here, never by a loop of our own.
 */
export function playbookActivities(step?: RunbookStep) {
  const options: ActivityOptions = {
    startToCloseTimeout: duration(step?.timeout ?? '1 minute'),
    heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
    retry: {
      initialInterval: duration(step?.retry.initialInterval ?? '1s'),
      maximumInterval: '30s',
      maximumAttempts: step?.retry.maximumAttempts ?? 10,
    },
  };
  return proxyActivities<AwsActivities>(options);
}

/** The decision keys (worker configuration) and the audit log, for the timers people act on. */
export function decisionActivities() {
  return proxyActivities<Pick<Activities, 'decisionKeys' | 'recordAudit'>>({
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
    retry: { initialInterval: '1s', maximumInterval: '5 minutes' },
  });
}

/** For work that must happen eventually however long AWS misbehaves (lifting a block, deleting keys). */
export function persistentActivities() {
  return proxyActivities<AwsActivities>({
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
    // No maximumAttempts: unlimited; only a final (non-retryable) error stops it.
    retry: { initialInterval: '1s', maximumInterval: '5 minutes' },
  });
}

/**
 * The activities with every call on the ledger: each input carries the authority for its writes,
 * and the ids of what each call wrote are collected, for the step to report.
 */
export function onTheLedger<A extends object>(acts: A, authority: WriteAuthority): { acts: A; written: string[] } {
  const written: string[] = [];
  const ledgered = new Proxy(acts, {
    get(target, name) {
      const fn = (target as Record<string | symbol, unknown>)[name];
      if (typeof fn !== 'function') return fn;
      return async (input: object) => {
        const result: unknown = await fn({ ...input, authority });
        written.push(...ledgerIdsOf(result));
        return result;
      };
    },
  });
  return { acts: ledgered, written };
}

/** The authority of a runbook step's writes: its approvers. */
export function stepAuthority(input: StepInput): WriteAuthority {
  return { approvedBy: input.approvedBy ?? [], reason: `containment step ${input.stepId}` };
}
