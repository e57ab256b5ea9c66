/**
 * The workflow outbox and the history check behind continue-as-new, for long-lived workflows.
 * Handlers stay synchronous and push; one background loop delivers in order; before continuing
 * as new a workflow waits until every outbox is quiet, so nothing pushed is lost.
 */
import { condition, workflowInfo } from '@temporalio/workflow';
import type { AuditEvent } from '../activities/audit-sink';

export interface Outbox<T> {
  push(item: T): void;
  /** nothing waiting and nothing being delivered */
  quiet(): boolean;
}

/**
 * `deliver` must not throw for good: catch what cannot be delivered (or retry without end).
 * `alsoWhen`: other work the same loop does after a batch (e.g. a coalesced Slack announce); the
 * loop then also wakes for it, and `deliver` may be handed an empty batch.
 */
export function outbox<T>(deliver: (batch: T[]) => Promise<void>, alsoWhen: () => boolean = () => false): Outbox<T> {
  const pending: T[] = [];
  let delivering = false;
  void (async () => {
    for (;;) {
      await condition(() => pending.length > 0 || alsoWhen());
      delivering = true;
      await deliver(pending.splice(0));
      delivering = false;
    }
  })();
  return { push: (item) => void pending.push(item), quiet: () => pending.length === 0 && !delivering };
}

/** An audit event as a workflow writes it; the outbox gives it its id. */
export type WorkflowAuditEvent = Omit<AuditEvent, 'id'>;

/**
 * The run's audit records. Each gets the id `<runId>/<n>` (deterministic, so a replay computes the
 * same ids), and a retried `recordAudit` batch is appended to the chain once.
 */
export function auditOutbox(deliver: (batch: AuditEvent[]) => Promise<void>, alsoWhen?: () => boolean): Outbox<WorkflowAuditEvent> {
  let recorded = 0;
  const box = outbox(deliver, alsoWhen);
  return { push: (event) => box.push({ id: `${workflowInfo().runId}/${++recorded}`, ...event }), quiet: box.quiet };
}

/** The server suggests it, or the history is past the workflow's own limit. */
export function historyFull(limit: number): boolean {
  return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
}
