/**
 * undoContainmentWorkflow: run one step's compensation (StepOutcome.undo) when a responder asks.
 * Never started automatically: the incident only offers it. Each undo is idempotent, so running it
 * twice is harmless.
 */
import { ApplicationFailure, getExternalWorkflowHandle, log, patched } from '@temporalio/workflow';
import type { IpSetRef } from '../../activities/aws';
import type { PolicyTarget } from '../../activities/aws/iam';
import type { Undo } from '../../domain/incident';
import { persistentActivities } from './activity-options';
import { cancelKeyDeletionSignal, liftBlockSignal } from './definitions';

export interface UndoRequest {
  undo: Undo;
  by: string;
  reason: string;
}

type UndoRunner = (params: Record<string, unknown>, req: UndoRequest) => Promise<string>;

/** Tell a timer workflow; if it already finished there is nothing to tell. */
async function signalIfRunning(workflowId: string, send: (handle: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>) {
  try {
    await send(getExternalWorkflowHandle(workflowId));
  } catch (err) {
    log.info('timer workflow not running; acting directly', { workflowId, error: (err as Error).message });
  }
}

const UNDOS: Record<string, UndoRunner> = {
  async unblockTraffic(params, req) {
    const ipSet = params.ipSet as IpSetRef;
    const cidrs = params.cidrs as string[];
    await signalIfRunning(params.blockExpiryWorkflowId as string, (h) => h.signal(liftBlockSignal, { by: req.by, reason: req.reason }));
    if (patched('shared-blocks')) {
      const owner = params.blockExpiryWorkflowId as string;
      const { removed, absent, keptForOthers } = await persistentActivities().releaseFromIpSet({ ipSet, cidrs, owner });
      const kept = keptForOthers.length > 0 ? `; ${keptForOthers.join(', ')} kept: another incident's block holds them` : '';
      return `unblocked ${cidrs.join(', ')} in WAF IP set ${ipSet.name} (${removed.length} removed now, ${absent.length} already gone${kept})`;
    }
    const { removed, absent } = await persistentActivities().removeFromIpSet({ ipSet, cidrs });
    return `unblocked ${cidrs.join(', ')} in WAF IP set ${ipSet.name} (${removed.length} removed now, ${absent.length} already gone)`;
  },
  async reactivateAccessKeys(params, req) {
    const principal = params.principal as string;
    const accessKeyIds = params.accessKeyIds as string[];
    // Cancel the deletion first, so a key re-enabled now is not deleted at the end of the grace.
    await signalIfRunning(params.keyDeletionWorkflowId as string, (h) => h.signal(cancelKeyDeletionSignal, { by: req.by, reason: req.reason }));
    const { changed, already } = await persistentActivities().reactivateAccessKeys({ principal, accessKeyIds });
    return `re-enabled ${changed.length} access key(s) of ${principal}${already.length > 0 ? ` (${already.length} already active)` : ''}; deletion cancelled`;
  },
  async removeSessionRevocation(params) {
    const target = params.target as PolicyTarget;
    const who = `IAM ${target.kind} ${target.name}`;
    const result = await persistentActivities().removeSessionRevocation({ target, issuedBefore: params.issuedBefore as string });
    if (result === 'removed') return `removed the session deny from ${who}: sessions issued before ${params.issuedBefore as string} work again until they expire`;
    if (result === 'already') return `${who} had no session deny any more`;
    return `kept the session deny on ${who}: a later containment has refreshed it`;
  },
};

export const UNDO_TYPES: ReadonlySet<string> = new Set(Object.keys(UNDOS));

export async function undoContainmentWorkflow(req: UndoRequest): Promise<string> {
  const run = UNDOS[req.undo.type];
  if (!run) throw ApplicationFailure.nonRetryable(`no undo named ${req.undo.type}`, 'ValidationError');
  return run(req.undo.params, req);
}
