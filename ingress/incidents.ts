import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import type { Alert } from '../domain/alert';
import { incidentIdFor } from '../domain/alert';
import { alertSignal, type IncidentInput } from '../workflows/definitions';
import type { incidentWorkflow } from '../workflows/incident';
import { UpstreamUnavailable } from './errors';

/**
 * Start the alert's incident or attach the alert to it. signalWithStart on the fingerprint's
 * workflow id makes a storm one incident; the delivery id makes a retried delivery attach once.
 */
export async function deliverAlert(
  client: Client,
  taskQueue: string,
  alert: Alert,
  requester = `alert:${alert.source}`,
): Promise<{ incidentId: string }> {
  const workflowId = incidentIdFor(alert.fingerprint);
  const input: IncidentInput = { id: workflowId, requester };
  try {
    await client.workflow.signalWithStart<typeof incidentWorkflow, [Alert]>('incidentWorkflow', {
      workflowId,
      taskQueue,
      args: [input],
      signal: alertSignal,
      signalArgs: [alert],
    });
  } catch (err) {
    // Temporal unreachable or overloaded: tell the sender to retry (5xx), never drop the alert.
    const cause = err instanceof ServiceError ? err.cause : err;
    if (isGrpcServiceError(cause) || err instanceof ServiceError) {
      throw new UpstreamUnavailable(`Temporal is unavailable: ${(err as Error).message}`);
    }
    throw err;
  }
  return { incidentId: workflowId };
}
