/**
 * revokeCredentials: contain a compromised IAM principal. Keys are deactivated (kept as evidence),
 * older sessions denied, console login removed and the principal quarantined as the runbook asks,
 * application OAuth tokens revoked; keys are deleted after a grace period by
 * `keyDeletionWorkflow`, whose durable timer outlives the playbook and the incident.
 */
import { condition, ParentClosePolicy, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { persistentActivities, playbookActivities } from './activity-options';
import {
  cancelKeyDeletionSignal,
  keyDeletionStatusQuery,
  keyDeletionWorkflowId,
  type IgnoredSignal,
  type KeyDeletionStatus,
} from './definitions';
import { timerDecisions } from './timer-decisions';

export interface KeyDeletionInput {
  principal: string;
  accessKeyIds: string[];
  delayMs: number;
}

export async function revokeCredentialsWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const acts = playbookActivities(step);
  const plan = await acts.prepareRevoke(input);
  const { principal } = plan;
  const did: string[] = [];

  if (plan.targetKeyIds.length > 0) {
    const keys = await acts.deactivateAccessKeys({ principal, accessKeyIds: plan.targetKeyIds });
    did.push(`deactivated ${keys.changed.length} access key(s) of ${principal}${keys.already.length > 0 ? ` (${keys.already.length} already inactive)` : ''}`);
  } else {
    did.push(`${principal} has no access keys`);
  }
  if (plan.sessions) {
    // Containment time = the playbook's start: the same on every retry and replay.
    await acts.revokeOlderSessions({ target: plan.sessions.target, issuedBefore: workflowInfo().startTime.toISOString() });
    did.push(`sessions of ${plan.sessions.target.kind} ${plan.sessions.target.name} issued before now revoked`);
  }
  if (plan.loginProfile === 'remove') {
    await acts.removeLoginProfile({ principal });
    did.push('console login removed');
  }
  if (plan.quarantine) {
    await acts.attachQuarantinePolicy({ principal });
    did.push('quarantined (deny-all)');
  }
  if (plan.oauth) {
    const { revoked } = await acts.revokeOAuthTokens({ app: plan.oauth.app, tokens: plan.oauth.tokens });
    did.push(`${revoked.length} OAuth token(s) of ${plan.oauth.app} revoked`);
  }

  const deletionId = keyDeletionWorkflowId(input.incidentId, input.stepId);
  if (plan.deleteAfterMs !== null && plan.targetKeyIds.length > 0) {
    await startChild(keyDeletionWorkflow, {
      workflowId: deletionId,
      args: [{ principal, accessKeyIds: plan.targetKeyIds, delayMs: plan.deleteAfterMs }],
      // The grace period runs on whatever happens to the incident.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    did.push(`keys deleted after ${plan.deleteAfter}`);
  } else if (plan.targetKeyIds.length > 0) {
    did.push('keys kept');
  }

  return {
    summary: did.join('; '),
    ...(plan.toDeactivate.length > 0
      ? {
          undo: {
            type: 'reactivateAccessKeys',
            params: { principal, accessKeyIds: plan.toDeactivate, keyDeletionWorkflowId: deletionId },
            description: `re-enable access key(s) ${plan.toDeactivate.join(', ')} of ${principal} and cancel their deletion`,
          },
        }
      : {}),
  };
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
  const result = await persistentActivities().deleteAccessKeys({ principal: input.principal, accessKeyIds: input.accessKeyIds });
  status.deleted = result.deleted;
  return status;
}
