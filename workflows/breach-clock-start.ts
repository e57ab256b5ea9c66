/**
 * How an incident starts its breach clock: as a child that outlives it (parent-close policy
 * ABANDON: closing an incident must never stop a legal deadline), with the incident's opening as
 * the discovery time (45 CFR 164.404(a)(2): the first day the breach is known).
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import type { breachClockWorkflow } from './breach-clock';
import { BREACH_CLOCK_WORKFLOW, breachClockId } from './breach-clock-definitions';

/** Starts the clock; returns a line for the incident timeline. */
export async function startBreachClock(incidentId: string, discoveredAt: string, exercise?: { timeScale: number }): Promise<string | undefined> {
  // Incidents recorded before clocks existed replay unchanged.
  if (!patched('breach-clock')) return undefined;
  const clockId = breachClockId(incidentId);
  try {
    await startChild<typeof breachClockWorkflow>(BREACH_CLOCK_WORKFLOW, {
      workflowId: clockId,
      args: [{ id: clockId, incidentId, discoveredAt, ...(exercise ? { exercise } : {}) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return `breach-notification clock ${clockId} started; discovery ${discoveredAt}`;
  } catch (err) {
    // A clock from an earlier incident with the same fingerprint is still running: it is the same breach.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return `breach-notification clock ${clockId} already running`;
    throw err;
  }
}
