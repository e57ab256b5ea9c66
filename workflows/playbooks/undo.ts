/**
 * undoContainmentWorkflow: run one step's compensation (StepOutcome.undo) when a responder asks.
 * Never started automatically: the incident only offers it. Each undo is idempotent, so running it
 * twice is harmless.
 */
import { ApplicationFailure, getExternalWorkflowHandle, log, patched } from '@temporalio/workflow';
import type { IpSetRef } from '../../activities/aws';
import type { Undo } from '../../domain/incident';
import { persistentActivities } from './activity-options';
import { stepCompensatedSignal } from '../definitions';
import { cancelKeyDeletionSignal, liftBlockSignal } from './definitions';

export interface UndoRequest {
  undo: Undo;
  by: string;
  reason: string;
  /** the incident and step the undo belongs to: told once it ran, so the step reads `compensated` */
  incidentId?: string;
  stepId?: string;
}

type UndoRunner = (params: Record<string, unknown>, req: UndoRequest) => Promise<string>;

/** Tell a timer workflow; if it already finished there is nothing to tell. */
async function signalIfRunning(workflowId: string, send: (handle: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>) {
  try {
    await send(getExternalWorkflowHandle(workflowId));
  } catch (err) {
    log.info('workflow not running; nothing to tell', { workflowId, error: (err as Error).message });
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
};

export const UNDO_TYPES: ReadonlySet<string> = new Set(Object.keys(UNDOS));

export async function undoContainmentWorkflow(req: UndoRequest): Promise<string> {
  const run = UNDOS[req.undo.type];
  if (!run) throw ApplicationFailure.nonRetryable(`no undo named ${req.undo.type}`, 'ValidationError');
  const summary = await run(req.undo.params, req);
  const { incidentId, stepId } = req;
  if (incidentId && stepId && patched('undo-marks-step')) {
    // A resolved incident is closed: the undo stands on its own record (the ledger) then.
    await signalIfRunning(incidentId, (h) => h.signal(stepCompensatedSignal, { by: req.by, stepId, reason: req.reason, summary }));
  }
  return summary;
}
