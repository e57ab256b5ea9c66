/**
 * revokeKeyAccess: take an exposed KMS key back. Its key policy goes back to the recorded
 * baseline, its grants are revoked, and only when the step says `disableKey: true` (with a
 * two-person approval) the key is disabled, which stops every use of it. The undo puts back the
 * policy, re-creates the grants and enables the key again.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { onTheLedger, playbookActivities, stepAuthority } from './activity-options';
import type { KnownUndo } from './undo-kinds';

/** Disabling a key is an outage of everything encrypted under it: two people, and no proceed-on-timeout. */
export function disableAllowedBy(step: RunbookStep | undefined): boolean {
  return step?.approval !== undefined && step.approval.approvers >= 2 && step.approval.onTimeout === 'deny';
}

export async function revokeKeyAccessWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const { acts, written } = onTheLedger(playbookActivities(step), stepAuthority(input));
  const plan = await acts.prepareRevokeKeyAccess(input);
  const key = `KMS key ${plan.keyId}`;
  if (plan.disable === 'disable' && !disableAllowedBy(step)) {
    throw ApplicationFailure.nonRetryable(
      `revokeKeyAccess: disableKey needs a two-person approval on the step (approval.approvers: 2, onTimeout: deny); nothing was changed`,
      'ValidationError',
    );
  }
  const did: string[] = [];
  // What the plan saw is what this step changes, even when a retried activity finds it done.
  const restoresPolicy = plan.policy !== null && (plan.policy.removed.length > 0 || plan.policy.added.length > 0);
  if (plan.policy && restoresPolicy) {
    await acts.setKeyPolicy({ keyId: plan.keyId, policy: plan.policy.baseline });
    did.push(`key policy of ${key} restored to the baseline (${plan.policy.removed.length} statement(s) removed, ${plan.policy.added.length} added)`);
  } else if (plan.policy) {
    did.push(`key policy of ${key} already the baseline`);
  }
  let revoked: string[] = [];
  if (plan.grants.length > 0) {
    const result = await acts.revokeKeyGrants({ keyId: plan.keyId, grantIds: plan.grants.map((g) => g.grantId) });
    revoked = [...result.revoked, ...result.absent];
    did.push(`${result.revoked.length} grant(s) revoked${result.absent.length > 0 ? ` (${result.absent.length} already gone)` : ''}`);
  } else if (plan.revokeGrants) {
    did.push('no grants to revoke');
  }
  const disabled = plan.disable === 'disable';
  if (disabled) {
    await acts.disableKmsKey({ keyId: plan.keyId });
    did.push(`${key} disabled: nothing can encrypt or decrypt under it`);
  } else if (plan.disable === 'already-disabled') {
    did.push(`${key} was already disabled`);
  } else if (plan.disable === 'pending-deletion') {
    did.push(`${key} is pending deletion: not disabled`);
  }

  const undoParts = [
    ...(restoresPolicy ? ['put back the key policy this step replaced'] : []),
    ...(revoked.length > 0 ? [`re-create ${revoked.length} grant(s) with the same grantee, operations and constraints`] : []),
    ...(disabled ? ['enable the key again'] : []),
  ];
  return {
    summary: did.join('; '),
    writes: written,
    ...(undoParts.length > 0
      ? {
          undo: {
            type: 'restoreKeyAccess',
            params: {
              keyId: plan.keyId,
              ...(plan.policy && restoresPolicy ? { policy: plan.policy.current } : {}),
              grants: plan.grants.filter((g) => revoked.includes(g.grantId)),
              enable: disabled,
            },
            description: `${key}: ${undoParts.join(', ')}`,
          } satisfies KnownUndo,
        }
      : {}),
  };
}
