import { isGrpcServiceError, ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Alert } from '../domain/alert';
import { incidentIdFor } from '../domain/alert';
import { alertSignal, type IncidentInput } from '../workflows/definitions';
import type { incidentWorkflow } from '../workflows/incident';
import { UpstreamUnavailable } from './errors';

/**
 * Start the alert's incident or attach the alert to it. signalWithStart on the fingerprint's
 * workflow id makes a storm one incident; the delivery id makes a retried delivery attach once.
 * A `resolved` alert only attaches: it never opens an incident of its own (`attached` is false
 * when no incident is running for it).
 */
export async function deliverAlert(
  client: Client,
  taskQueue: string,
  alert: Alert,
  requester = `alert:${alert.source}`,
): Promise<{ incidentId: string; attached: boolean }> {
  const workflowId = incidentIdFor(alert.fingerprint);
  const input: IncidentInput = { id: workflowId, requester };
  try {
    if (alert.status === 'resolved') {
      await client.workflow.getHandle(workflowId).signal(alertSignal, alert);
      return { incidentId: workflowId, attached: true };
    }
    await client.workflow.signalWithStart<typeof incidentWorkflow, [Alert]>('incidentWorkflow', {
      workflowId,
      taskQueue,
      args: [input],
      signal: alertSignal,
      signalArgs: [alert],
    });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { incidentId: workflowId, attached: false };
    // Temporal unreachable or overloaded: tell the sender to retry (5xx), never drop the alert.
    const cause = err instanceof ServiceError ? err.cause : err;
    if (isGrpcServiceError(cause) || err instanceof ServiceError) {
      throw new UpstreamUnavailable(`Temporal is unavailable: ${(err as Error).message}`);
    }
    throw err;
  }
  return { incidentId: workflowId, attached: true };
}
