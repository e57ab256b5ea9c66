/**
 * The workflow outbox and the history check behind continue-as-new, for long-lived workflows.
 * Handlers stay synchronous and push; one background loop delivers in order; before continuing
 * as new a workflow waits until every outbox is quiet, so nothing pushed is lost.
 */
import { condition, workflowInfo } from '@temporalio/workflow';

export interface Outbox<T> {
  push(item: T): void;
  /** nothing waiting and nothing being delivered */
  quiet(): boolean;
}

/** `deliver` must not throw for good: catch what cannot be delivered (or retry without end). */
export function outbox<T>(deliver: (batch: T[]) => Promise<void>): Outbox<T> {
  const pending: T[] = [];
  let delivering = false;
  void (async () => {
    for (;;) {
      await condition(() => pending.length > 0);
      delivering = true;
      await deliver(pending.splice(0));
      delivering = false;
    }
  })();
  return { push: (item) => void pending.push(item), quiet: () => pending.length === 0 && !delivering };
}

/** The server suggests it, or the history is past the workflow's own limit. */
export function historyFull(limit: number): boolean {
  return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
}
