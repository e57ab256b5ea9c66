/**
 * revokeCredentials: contain a compromised IAM principal. For an IAM user, keys are deactivated
 * (kept as evidence), older sessions denied, console login removed and the user quarantined as the
 * runbook asks; for a role session or a federated user, the role's (or the issuing user's) older
 * sessions are denied, which is all that can stop temporary keys. Application OAuth tokens are
 * revoked and a Cognito user signed out, with or without a principal (a step naming none touches
 * nothing in IAM); keys are deleted after a grace period by `keyDeletionWorkflow`, whose durable
 * timer outlives the playbook and the incident.
 */
import { condition, ParentClosePolicy, patched, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { RevokePlan } from '../../activities/aws';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { cognitoUserLabel } from '../../domain/alert';
import { onTheLedger, persistentActivities, playbookActivities, stepAuthority } from './activity-options';
import type { WriteAuthority } from '../../domain/ledger';
import {
  cancelKeyDeletionSignal,
  keyDeletionStatusQuery,
  keyDeletionWorkflowId,
  type IgnoredSignal,
  type KeyDeletionStatus,
} from './definitions';
import { rotateLeakedKey } from './rotate-access-key';
import { timerDecisions } from './timer-decisions';
import type { KnownUndo } from './undo-kinds';

export interface KeyDeletionInput {
  principal: string;
  accessKeyIds: string[];
  delayMs: number;
  /** the approvals of the step that deactivated the keys: on the ledger with their deletion */
  authority?: WriteAuthority;
}

export async function revokeCredentialsWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const authority = stepAuthority(input);
  const { acts, written } = onTheLedger(playbookActivities(step), authority);
  const plan = await acts.prepareRevoke(input);
  const { principal } = plan;
  // Plans made before principals had types were IAM users'.
  const type = plan.principalType ?? 'iam-user';
  const temporary = plan.temporaryKeyIds ?? [];
  // Containment time = the playbook's start: the same on every retry and replay.
  const issuedBefore = workflowInfo().startTime.toISOString();
  const did: string[] = [];

  // Plans made before rotation existed have none. The rotation deactivates the leaked key itself,
  // once the service uses the new one.
  let rotated: Awaited<ReturnType<typeof rotateLeakedKey>> | undefined;
  if (plan.rotation && patched('rotate-leaked-key')) {
    rotated = await rotateLeakedKey(acts, plan.rotation, authority);
    did.push(...rotated.did);
  } else if (plan.rotationSkipped) {
    did.push(`not rotated (${plan.rotationSkipped})`);
  }

  if (rotated) {
    // every target key was the rotated one
  } else if (plan.targetKeyIds.length > 0) {
    const keys = await acts.deactivateAccessKeys({ principal, accessKeyIds: plan.targetKeyIds });
    did.push(`deactivated ${keys.changed.length} access key(s) of ${principal}${keys.already.length > 0 ? ` (${keys.already.length} already inactive)` : ''}`);
  } else if (type === 'iam-user' && plan.keys.length === 0) {
    did.push(`${principal} has no access keys`);
  }
  if (temporary.length > 0) did.push(`temporary key(s) ${temporary.join(', ')} left to expire (they cannot be deactivated)`);
  if (plan.sessions) {
    await acts.revokeOlderSessions({ target: plan.sessions.target, issuedBefore });
    did.push(`sessions of ${plan.sessions.target.kind} ${plan.sessions.target.name} issued before now revoked`);
  }
  if ((plan.notApplied ?? []).length > 0) did.push(`${plan.notApplied.join(' and ')} not applied to ${type} ${principal}`);
  if (plan.loginProfile === 'remove') {
    await acts.removeLoginProfile({ principal });
    did.push('console login removed');
  }
  if (plan.quarantine) {
    await acts.attachQuarantinePolicy({ principal });
    did.push('quarantined (deny-all)');
  }
  if (plan.oauth) {
    // Alert-named tokens are read back from their stored delivery by the activity; never passed here.
    const { app, tokens, fingerprints, rawRef } = plan.oauth;
    const { revoked } = await acts.revokeOAuthTokens(rawRef ? { app, fingerprints, rawRef } : { app, tokens: tokens ?? [] });
    did.push(`${revoked.length} OAuth token(s) of ${plan.oauth.app} revoked`);
  }
  // Plans made before Cognito sign-out existed have no `cognito`.
  if (plan.cognito && patched('cognito-sign-out')) {
    await acts.signOutCognitoUser({ user: plan.cognito });
    did.push(`${cognitoUserLabel(plan.cognito)} signed out everywhere (refresh tokens revoked; a sign-out cannot be undone)`);
  }

  const deletionId = keyDeletionWorkflowId(input.incidentId, input.stepId);
  if (plan.deleteAfterMs !== null && plan.targetKeyIds.length > 0) {
    await startChild(keyDeletionWorkflow, {
      workflowId: deletionId,
      args: [{ principal, accessKeyIds: plan.targetKeyIds, delayMs: plan.deleteAfterMs, authority }],
      // The grace period runs on whatever happens to the incident.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    did.push(`keys deleted after ${plan.deleteAfter}`);
  } else if (plan.targetKeyIds.length > 0) {
    did.push('keys kept');
  }

  // What the undo leaves as it is: a sign-out cannot be taken back.
  const stays = plan.cognito ? `; ${cognitoUserLabel(plan.cognito)} stays signed out (a sign-out cannot be undone: the user signs in again)` : '';
  if (rotated) {
    const undo = { ...rotated.undo, params: { ...rotated.undo.params, keyDeletionWorkflowId: deletionId } } satisfies KnownUndo;
    return { summary: did.join('; '), writes: written, undo: { ...undo, description: `${undo.description}; the leaked key's deletion is cancelled${stays}` } };
  }
  const { undo } = undoOf(plan, deletionId, issuedBefore);
  return { summary: did.join('; '), writes: written, ...(undo ? { undo: { ...undo, description: `${undo.description}${stays}` } } : {}) };
}

/**
 * What can really be put back: deactivated keys (re-enabled, their deletion cancelled); else a
 * session deny this step attached (a policy that was already there belongs to an earlier step).
 */
function undoOf(plan: RevokePlan, deletionId: string, issuedBefore: string): Pick<StepOutcome, 'undo'> {
  const { principal } = plan;
  if (plan.toDeactivate.length > 0) {
    return {
      undo: {
        type: 'reactivateAccessKeys',
        params: { principal, accessKeyIds: plan.toDeactivate, keyDeletionWorkflowId: deletionId },
        description: `re-enable access key(s) ${plan.toDeactivate.join(', ')} of ${principal} and cancel their deletion`,
      } satisfies KnownUndo,
    };
  }
  if (plan.sessions && !plan.sessions.alreadyRevoked) {
    const { target } = plan.sessions;
    return {
      undo: {
        type: 'removeSessionRevocation',
        params: { target, issuedBefore },
        description: `remove the session deny from IAM ${target.kind} ${target.name}: its sessions issued before containment work again until they expire`,
      } satisfies KnownUndo,
    };
  }
  return {};
}

/** Waits out the grace period, then deletes the keys that are still inactive. */
export async function keyDeletionWorkflow(input: KeyDeletionInput): Promise<KeyDeletionStatus> {
  const status: KeyDeletionStatus = {
    principal: input.principal,
    accessKeyIds: input.accessKeyIds,
    deleteAt: new Date(Date.now() + input.delayMs).toISOString(),
  };
  const ignored: IgnoredSignal[] = [];
  const decisions = timerDecisions(keyDeletionWorkflowId, ignored);
  setHandler(keyDeletionStatusQuery, () => (ignored.length > 0 ? { ...status, ignored } : status));
  setHandler(cancelKeyDeletionSignal, async ({ proof, by, reason }) => {
    const actor = await decisions.signal('cancelKeyDeletion', proof, 'key-deletion.cancel', by, reason);
    if (actor) status.cancelled ??= { by: actor.by, reason };
  });
  if (await condition(() => status.cancelled !== undefined, input.delayMs)) return status;
  const { acts, written } = onTheLedger(persistentActivities(), {
    approvedBy: input.authority?.approvedBy ?? [],
    reason: 'grace period over: the deactivated keys kept as evidence are deleted',
  });
  const result = await acts.deleteAccessKeys({ principal: input.principal, accessKeyIds: input.accessKeyIds });
  status.deleted = result.deleted;
  status.writes = written;
  return status;
}
