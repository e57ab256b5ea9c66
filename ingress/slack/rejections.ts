import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';

/**
 * Why Temporal refused a request, in words for the person who made it: a validator's reason
 * (not in the group, own request, already decided, stale plan), or a missing incident.
 * Undefined when the failure is not a refusal (Temporal down: let it surface as an error).
 */
export function refusalReason(err: unknown): string | undefined {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { message?: string } | undefined;
    return cause?.message ?? err.message;
  }
  if (err instanceof WorkflowNotFoundError) return 'no such incident (or it has ended)';
  const grpcCode = (err as { code?: number }).code;
  // gRPC NOT_FOUND from a query or update on an unknown workflow id
  if (grpcCode === 5) return 'no such incident (or it has ended)';
  return undefined;
}

export { incidentIdFromUser } from '../../domain/ids';
