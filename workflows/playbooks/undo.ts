/**
 * undoContainmentWorkflow: run one step's compensation (StepOutcome.undo) when a responder asks.
 * Never started automatically: the incident only offers it. Each undo is idempotent, so running it
 * twice is harmless.
 */
import { ApplicationFailure, getExternalWorkflowHandle, log, patched } from '@temporalio/workflow';
import type { Undo } from '../../domain/incident';
import type { DecisionProof } from '../../domain/decision-proof';
import { undoSubject } from '../../domain/decision-subjects';
import { decisionActivities, onTheLedger, persistentActivities } from './activity-options';
import { stepCompensatedSignal } from '../definitions';
import { DecisionGuard, notAuthorised } from '../decision-guard';
import { cancelKeyDeletionSignal, keyDeletionCancelledSignal, liftBlockSignal, stopKeyRetirementSignal } from './definitions';
import type { KnownUndo, UndoKind, UndoOf, UndoParams } from './undo-kinds';

export interface UndoRequest {
  undo: Undo;
  /** the ingress's grant for `undo` of exactly this compensation of this step */
  proof?: DecisionProof;
  /** requests from before decision proofs named their actor; the verified person is filled in here */
  by?: string;
  reason: string;
  /** the incident and step the undo belongs to: told once it ran, so the step reads `compensated` */
  incidentId?: string;
  stepId?: string;
}

type Acts = ReturnType<typeof persistentActivities>;
type UndoRunners = { [K in UndoKind]: (params: UndoParams[K], req: UndoRequest, acts: Acts) => Promise<string> };

/** Tell a timer workflow; if it already finished there is nothing to tell. */
async function signalIfRunning(workflowId: string, send: (handle: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>) {
  try {
    await send(getExternalWorkflowHandle(workflowId));
  } catch (err) {
    log.info('workflow not running; nothing to tell', { workflowId, error: (err as Error).message });
  }
}

const UNDOS: UndoRunners = {
  async unblockTraffic(params, req, acts) {
    const { ipSet, cidrs, blockExpiryWorkflowId } = params;
    await signalIfRunning(blockExpiryWorkflowId, (h) => h.signal(liftBlockSignal, { proof: req.proof, by: req.by, reason: req.reason }));
    if (patched('shared-blocks')) {
      const { removed, absent, keptForOthers } = await acts.releaseFromIpSet({ ipSet, cidrs, owner: blockExpiryWorkflowId });
      const kept = keptForOthers.length > 0 ? `; ${keptForOthers.join(', ')} kept: another incident's block holds them` : '';
      return `unblocked ${cidrs.join(', ')} in WAF IP set ${ipSet.name} (${removed.length} removed now, ${absent.length} already gone${kept})`;
    }
    const { removed, absent } = await acts.removeFromIpSet({ ipSet, cidrs });
    return `unblocked ${cidrs.join(', ')} in WAF IP set ${ipSet.name} (${removed.length} removed now, ${absent.length} already gone)`;
  },
  async reactivateAccessKeys(params, req, acts) {
    const { principal, accessKeyIds } = params;
    // Cancel the deletion first, so a key re-enabled now is not deleted at the end of the grace.
    await signalIfRunning(params.keyDeletionWorkflowId, (h) =>
      h.signal(cancelKeyDeletionSignal, { proof: req.proof, by: req.by, reason: req.reason }),
    );
    const { changed, already } = await acts.reactivateAccessKeys({ principal, accessKeyIds });
    return `re-enabled ${changed.length} access key(s) of ${principal}${already.length > 0 ? ` (${already.length} already active)` : ''}; deletion cancelled`;
  },
  async restoreRotatedKey(params, req, acts) {
    const { keyId, aliases } = params;
    // Stop the retirement first, so no deletion is scheduled while the key comes back into use.
    await signalIfRunning(params.keyRetirementWorkflowId, (h) => h.signal(stopKeyRetirementSignal, { proof: req.proof, by: req.by, reason: req.reason }));
    const { cancelled } = await acts.cancelKmsKeyDeletion({ keyId });
    const { changed } = await acts.setKeyPolicy({ keyId, policy: params.policy });
    const { moved } = await acts.moveAliases({ aliases, targetKeyId: keyId });
    return (
      `KMS key ${keyId} back in use: ${aliases.join(', ')} point at it (${moved.length} moved now), its key policy ` +
      `${changed ? 'put back' : 'was already back'}${cancelled ? ', its scheduled deletion cancelled' : ''}; retirement stopped`
    );
  },
  async restoreKeyAccess(params, _req, acts) {
    const { keyId } = params;
    const done: string[] = [];
    // Enabled first: a grant is re-created on a usable key.
    if (params.enable === true) done.push((await acts.enableKmsKey({ keyId })).already ? 'already enabled' : 'enabled again');
    if (typeof params.policy === 'string') done.push((await acts.setKeyPolicy({ keyId, policy: params.policy })).changed ? 'previous key policy put back' : 'previous key policy already in place');
    const grants = params.grants ?? [];
    if (grants.length > 0) {
      const { created, already } = await acts.recreateKeyGrants({ keyId, grants });
      done.push(`${created} grant(s) re-created${already > 0 ? ` (${already} already there)` : ''}`);
    }
    return `KMS key ${keyId}: ${done.join('; ')}`;
  },
  async restorePublicAccess(params, _req, acts) {
    const done: string[] = [];
    const { bucket, groupId, rules = [] } = params;
    // Block Public Access first: with BlockPublicPolicy on, S3 refuses a public policy.
    // Presence matters, not the value: `null` is "there was none", and is put back as such.
    if (bucket && params.publicAccessBlock !== undefined) {
      const { changed } = await acts.setPublicAccessBlock({ bucket, config: params.publicAccessBlock });
      done.push(`Block Public Access of S3 bucket ${bucket} ${changed ? 'put back' : 'already as it was'}`);
    }
    if (bucket && params.policy !== undefined) {
      const { changed } = await acts.restoreBucketPolicy({ bucket, policy: params.policy });
      done.push(`bucket policy of ${bucket} ${changed ? 'put back' : 'already as it was'}`);
    }
    if (groupId && rules.length > 0) {
      const { restored, already } = await acts.restoreOpenIngress({ groupId, rules });
      done.push(`${restored} ingress rule(s) re-authorised on ${groupId}${already > 0 ? ` (${already} already there)` : ''}`);
    }
    return done.join('; ');
  },
  async liftWriteDeny({ bucket, sid }, _req, acts) {
    const { removed } = await acts.removeBucketPolicyStatement({ bucket, sid });
    return `S3 bucket ${bucket}: ${removed ? 'the deny on writes removed' : 'no deny on writes was left'}; snapshots kept`;
  },
  async restoreAccessKeyRotation(params, req, acts) {
    const { principal, oldKeyId, newKeyId, secretId, previousVersionId, versionId } = params;
    if (params.keyDeletionWorkflowId) {
      const deletionId = params.keyDeletionWorkflowId;
      await signalIfRunning(deletionId, (h) => h.signal(cancelKeyDeletionSignal, { proof: req.proof, by: req.by, reason: req.reason }));
    }
    // The old key first: a service that reads the previous version again finds its key working.
    const { changed } = await acts.reactivateAccessKeys({ principal, accessKeyIds: [oldKeyId] });
    const { outcome } = await acts.restoreSecretVersion({ secretId, versionId: previousVersionId, fromVersionId: versionId });
    const secret =
      outcome === 'moved'
        ? `version ${previousVersionId} of secret ${secretId} is AWSCURRENT again`
        : outcome === 'already'
          ? `version ${previousVersionId} of secret ${secretId} was AWSCURRENT already`
          : `secret ${secretId} kept as it is: it was changed since this step (its AWSCURRENT is no longer version ${versionId})`;
    return `access key ${oldKeyId} of ${principal} ${changed.length > 0 ? 're-enabled' : 'was active already'}; ${secret}; the new key ${newKeyId} stays active`;
  },
  async cancelKmsKeyDeletion(params, req, acts) {
    const { keyId } = params;
    const { cancelled, enabled } = await acts.cancelKmsKeyDeletion({ keyId });
    await signalIfRunning(params.keyRetirementWorkflowId, (h) => h.signal(keyDeletionCancelledSignal, { proof: req.proof, by: req.by, reason: req.reason }));
    return `KMS key ${keyId}: ${cancelled ? 'deletion cancelled' : 'no deletion was scheduled'}${enabled ? ', enabled again' : ''}`;
  },
  async removeSessionRevocation(params, _req, acts) {
    const { target, issuedBefore } = params;
    const who = `IAM ${target.kind} ${target.name}`;
    // Workers before the ledger answered with the bare outcome.
    const answer: string | { outcome: string } = await acts.removeSessionRevocation({ target, issuedBefore });
    const result = typeof answer === 'string' ? answer : answer.outcome;
    if (result === 'removed') return `removed the session deny from ${who}: sessions issued before ${issuedBefore} work again until they expire`;
    if (result === 'already') return `${who} had no session deny any more`;
    return `kept the session deny on ${who}: a later containment has refreshed it`;
  },
};

export const UNDO_TYPES: ReadonlySet<string> = new Set(Object.keys(UNDOS));

/** An undo recorded on a step names one of ours; its parameters are what that playbook recorded. */
function isKnownUndo(undo: Undo): undo is Undo & KnownUndo {
  return UNDO_TYPES.has(undo.type);
}

function runUndo<K extends UndoKind>(undo: UndoOf<K>, req: UndoRequest, acts: Acts): Promise<string> {
  const run: UndoRunners[K] = UNDOS[undo.type];
  return run(undo.params, req, acts);
}

export async function undoContainmentWorkflow(input: UndoRequest): Promise<string> {
  const { undo } = input;
  if (!isKnownUndo(undo)) throw ApplicationFailure.nonRetryable(`no undo named ${undo.type}`, 'ValidationError');
  const req = patched('decision-proofs') ? await verified(input) : input;
  // Every write the compensation makes is on the ledger, with who asked for it and why.
  const { acts, written } = onTheLedger(persistentActivities(), { approvedBy: [], ...(req.by ? { requestedBy: req.by } : {}), reason: `undo: ${req.reason}` });
  const summary = await runUndo(undo, req, acts);
  const { incidentId, stepId } = req;
  if (incidentId && stepId && patched('undo-marks-step')) {
    // A resolved incident is closed: the undo stands on its own record (the ledger) then.
    await signalIfRunning(incidentId, (h) => h.signal(stepCompensatedSignal, { proof: req.proof, by: req.by, stepId, reason: req.reason, summary, writes: written }));
  }
  return summary;
}

/** Nothing is undone unless a person the ingress verified asked for exactly this compensation. */
async function verified(req: UndoRequest): Promise<UndoRequest> {
  if (!req.incidentId || !req.stepId) throw notAuthorised('an undo names the incident and step it compensates');
  const guard = new DecisionGuard();
  guard.keys = await decisionActivities().decisionKeys();
  const grant = guard.check(req.proof, { action: 'undo', workflowId: req.incidentId, subject: undoSubject(req.stepId, req.undo) });
  return { ...req, by: grant.by };
}
