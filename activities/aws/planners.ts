import { boundToApproval } from '../approved-plan';
import type { Planner } from '../../domain/plan';
import type { StepInput } from '../step';
import type { AwsClients, AwsSettings } from './clients';
import type { TokenSource } from './oauth';
import { describeClosePublicAccess, prepareClosePublicAccess } from './public-access-plan';
import { describeProtectDataStore, prepareProtectDataStore } from './protect-data';
import { describeRotateAccessKey, prepareRotateAccessKey } from './access-key-rotation';
import { describeRotateSecret, prepareRotateSecret } from './secret-rotation';
import { QUARANTINE_POLICY_NAME, SESSION_POLICY_NAME } from './iam';
import { cognitoUserLabel, type CognitoUserRef } from '../../domain/alert';
import { describeStatement, NEW_CIPHERTEXT_ACTIONS, RETIRED_KEY_SID } from './key-policy';
import {
  prepareBlock,
  prepareRevoke,
  prepareRevokeKeyAccess,
  prepareRotate,
  type BlockPlan,
  type KeyAccessPlan,
  type RevokePlan,
  type RotatePlan,
} from './prepare';

/**
 * Plans for the AWS step types: read the current state, say exactly what will change. The lines go
 * to approvers and dry runs; `changes` is what the approval hash binds. Neither holds secrets
 * (OAuth tokens appear as fingerprints) nor anything time-dependent, so planning twice in a row
 * gives the same hash.
 */

/** How the plan names its principal to people. */
function principalLabel(plan: RevokePlan): string {
  if (plan.principalType === 'assumed-role') return `IAM role ${plan.principal}${plan.sessionName ? ` (assumed-role session ${plan.sessionName})` : ''}`;
  if (plan.principalType === 'federated-user') return `federated user ${plan.principal}`;
  return `IAM user ${plan.principal}`;
}

function sessionLines(plan: RevokePlan, sessions: NonNullable<RevokePlan['sessions']>): string[] {
  const verb = sessions.alreadyRevoked ? 'refresh' : 'attach';
  const deny = 'deny credentials issued before containment';
  if (plan.principalType === 'assumed-role') {
    return [
      `${verb} inline policy ${SESSION_POLICY_NAME} to ${principalLabel(plan)}: ${deny}`,
      `every current session of IAM role ${plan.principal} is cut off, not only this one: instances and services using the role fail until they fetch new credentials`,
    ];
  }
  if (plan.principalType === 'federated-user') {
    return [
      `${verb} inline policy ${SESSION_POLICY_NAME} to IAM user ${plan.sessionIssuer} (whose keys created the sessions of ${principalLabel(plan)}): ${deny}`,
      `the access keys of IAM user ${plan.sessionIssuer} are not changed: a federated session it creates after containment works`,
    ];
  }
  const who = `${sessions.target.kind === 'role' ? 'IAM role' : 'IAM user'} ${sessions.target.name}`;
  return [`${verb} inline policy ${SESSION_POLICY_NAME} to ${who}: ${deny}`];
}

function notAppliedLine(plan: RevokePlan, what: RevokePlan['notApplied'][number]): string {
  const who = principalLabel(plan);
  if (what === 'removeLoginProfile') return `${who} has no console login profile to remove (only IAM users have one)`;
  return plan.principalType === 'assumed-role'
    ? `quarantine (deny-all) is not applied to IAM role ${plan.principal}: it would stop every instance, service and person using the role; attach one by hand if the role itself must stop`
    : `quarantine (deny-all) is not applied for ${who}: it would go on IAM user ${plan.sessionIssuer} and stop everything that user does; attach one by hand if it must stop`;
}

function cognitoLines(user: CognitoUserRef): string[] {
  return [
    `sign out ${cognitoUserLabel(user)} everywhere (AdminUserGlobalSignOut): its refresh tokens are revoked, so no new access or ID token is issued from them; ` +
      'access and ID tokens already issued are refused by Cognito but an API that checks them only by signature accepts them until they expire; ' +
      'a managed login (hosted UI) session cookie is not cleared',
    'the sign-out cannot be undone: the user signs in again',
  ];
}

export function describeRevoke(plan: RevokePlan): { lines: string[]; changes: unknown } {
  const lines: string[] = [];
  const user = `IAM user ${plan.principal}`;
  if (plan.rotation) {
    lines.push(`rotate before deactivating, so the service keeps working:`, ...describeRotateAccessKey(plan.rotation).lines.map((l) => `  ${l}`));
  } else if (plan.rotationSkipped) {
    lines.push(`no rotation (${plan.rotationSkipped}): the key is deactivated, and a service using it fails until it is given a new one`);
  }
  for (const id of plan.targetKeyIds) {
    if (plan.rotation?.oldKeyId === id) continue;
    lines.push(plan.toDeactivate.includes(id) ? `deactivate access key ${id} of ${user}` : `access key ${id} of ${user} is already inactive`);
  }
  if (plan.principalType === 'iam-user' && plan.targetKeyIds.length === 0) {
    const untouched = plan.keys.map((k) => k.id);
    lines.push(untouched.length === 0 ? `${user} has no access keys` : `access key(s) ${untouched.join(', ')} of ${user} are not named by the step and stay as they are`);
  }
  for (const id of plan.temporaryKeyIds) {
    lines.push(
      plan.sessions
        ? `temporary key ${id} expires on its own; it cannot be deactivated (the session deny stops it now)`
        : `temporary key ${id} expires on its own; it cannot be deactivated, and with revokeSessions false it works until then`,
    );
  }
  if (plan.targetKeyIds.length > 0) {
    lines.push(plan.deleteAfter === null ? 'keep the inactive keys (no deletion)' : `delete the inactive keys after ${plan.deleteAfter} (kept as evidence until then)`);
  }
  if (plan.sessions) lines.push(...sessionLines(plan, plan.sessions));
  if (plan.loginProfile === 'remove') lines.push(`remove the console login profile of ${user}`);
  if (plan.loginProfile === 'absent') lines.push(`${user} has no console login profile`);
  if (plan.quarantine) {
    lines.push(plan.quarantine.alreadyAttached ? `${user} is already quarantined` : `attach deny-all inline policy ${QUARANTINE_POLICY_NAME} to ${user}`);
  }
  for (const what of plan.notApplied) lines.push(notAppliedLine(plan, what));
  if (plan.oauth) lines.push(`revoke ${plan.oauth.fingerprints.length} OAuth token(s) of ${plan.oauth.app} at ${plan.oauth.host}: ${plan.oauth.fingerprints.join(', ')}`);
  if (plan.cognito) lines.push(...cognitoLines(plan.cognito));
  if (plan.principalType === 'none') lines.push('no AWS principal is named: nothing in IAM changes');
  const { oauth, keys: _keys, deleteAfterMs: _ms, ...rest } = plan;
  return { lines, changes: { ...rest, oauth: oauth && { app: oauth.app, host: oauth.host, fingerprints: oauth.fingerprints } } };
}

export function describeRotate(plan: RotatePlan): { lines: string[]; changes: unknown } {
  const key = `KMS key ${plan.keyId}${plan.aliases.length > 0 ? ` (${plan.aliases.join(', ')})` : ''}`;
  const lines =
    plan.mode === 'on-demand'
      ? [`rotate the key material of ${key} on demand (rotation ${plan.rotationsBefore + 1} of ${plan.limit}); the key id stays`]
      : [
          `${key} cannot rotate on demand: ${plan.reason}`,
          `create a new ${plan.keySpec} ${plan.keyUsage} key`,
          `move ${plan.aliases.join(', ')} to the new key`,
          `keep ${plan.keyId} enabled, so every ciphertext under it stays readable, and change its key policy: add statement ` +
            `"${RETIRED_KEY_SID}" denying ${NEW_CIPHERTEXT_ACTIONS.join(', ')} to every principal (grants included); Decrypt, ` +
            `ReEncryptFrom, Verify, DescribeKey, GetKeyPolicy and the key administrators' statements stay as they are (the old policy is kept for the undo)`,
          `schedule no deletion: once CloudTrail shows ${plan.keyId} unused for ${plan.retirement.unusedFor} (checked every ` +
            `${plan.retirement.checkEvery}), deletion may be asked for; it needs two approvals and then waits ${plan.pendingWindowDays} days (cancellable)`,
        ];
  const { marker: _marker, ...changes } = plan;
  return { lines, changes };
}

export function describeRevokeKeyAccess(plan: KeyAccessPlan): { lines: string[]; changes: unknown } {
  const key = `KMS key ${plan.keyId}${plan.aliases.length > 0 ? ` (${plan.aliases.join(', ')})` : ''}`;
  const lines: string[] = [];
  if (plan.keyState === 'PendingDeletion') {
    lines.push(
      `${key} is pending deletion (on ${plan.deletionDate?.slice(0, 10) ?? 'its deletion date'}): no cryptographic operation can use it; ` +
        'its policy and grants are still revoked, so nobody they let in can cancel the deletion and use it',
    );
  }
  if (plan.policy === null) lines.push(`leave the key policy of ${key} as it is`);
  else if (plan.policy.removed.length === 0 && plan.policy.added.length === 0) lines.push(`the key policy of ${key} already matches the baseline (${plan.policy.source})`);
  else {
    lines.push(`restore the key policy of ${key} to the baseline (${plan.policy.source}); the policy now is kept for the undo:`);
    for (const s of plan.policy.removed) lines.push(`  remove statement ${describeStatement(s)}`);
    for (const s of plan.policy.added) lines.push(`  add statement ${describeStatement(s)}`);
  }
  for (const g of plan.grants) {
    const constraints = g.constraints ? ` with constraints ${JSON.stringify(g.constraints)}` : '';
    lines.push(`revoke grant ${g.grantId}${g.name ? ` (${g.name})` : ''} to ${g.grantee}: ${g.operations.join(', ')}${constraints}`);
  }
  if (!plan.revokeGrants) lines.push(`leave the grants of ${key} as they are`);
  else lines.push(plan.grants.length > 0 ? `${plan.grants.length} grant(s) revoked in all (re-created by the undo)` : `${key} has no grants to revoke`);
  const allAliases = plan.aliases.length > 0 ? `, also through ${plan.aliases.join(', ')}` : '';
  if (plan.disable === 'disable') {
    lines.push(`DISABLE ${key}: every Encrypt, Decrypt, GenerateDataKey, Sign and Verify under it fails until it is enabled again${allAliases}; needs two approvals on this step`);
  } else if (plan.disable === 'already-disabled') lines.push(`${key} is already disabled; left disabled`);
  else if (plan.disable === 'pending-deletion') lines.push(`${key} is not disabled: a key pending deletion cannot be, and is unusable already`);
  else if (plan.keyState === 'Enabled') lines.push(`${key} stays enabled (disableKey not set): what its policy and grants still allow keeps working`);
  else if (plan.keyState === 'Disabled') lines.push(`${key} is disabled and stays so (disableKey not set)`);
  return { lines, changes: plan };
}

export function describeBlock(plan: BlockPlan): { lines: string[]; changes: unknown } {
  const set = `WAF IP set ${plan.ipSet.name} (${plan.ipSet.scope})`;
  const lines = [
    ...(plan.toAdd.length > 0 ? [`add ${plan.toAdd.join(', ')} to ${set}`] : []),
    ...(plan.alreadyPresent.length > 0 ? [`${plan.alreadyPresent.join(', ')} already in ${set} (left as is)`] : []),
    `lift the block after ${plan.duration} unless a responder extends it`,
  ];
  const { durationMs: _ms, ...changes } = plan;
  return { lines, changes };
}

export function createAwsPlanners(deps: { aws: AwsClients; awsSettings: AwsSettings } & TokenSource): Record<string, Planner> {
  return {
    revokeCredentials: async (input) => describeRevoke(await prepareRevoke(deps, input)),
    rotateKey: async (input) => describeRotate(await prepareRotate(deps, input)),
    blockTraffic: async (input) => describeBlock(await prepareBlock(deps, input)),
    revokeKeyAccess: async (input) => describeRevokeKeyAccess(await prepareRevokeKeyAccess(deps, input)),
    closePublicAccess: async (input) => describeClosePublicAccess(await prepareClosePublicAccess(deps, input)),
    protectDataStore: async (input) => describeProtectDataStore(await prepareProtectDataStore(deps, input)),
    rotateAccessKey: async (input) => describeRotateAccessKey(await prepareRotateAccessKey(deps, input)),
    rotateSecret: async (input) => describeRotateSecret(await prepareRotateSecret(deps, input)),
  };
}

/** The playbooks' first activities: the plan to act on, refused when it is not the approved one. */
export function createPrepareActivities(deps: { aws: AwsClients; awsSettings: AwsSettings } & TokenSource) {
  return {
    prepareRevoke: boundToApproval('revokeCredentials', (input: StepInput) => prepareRevoke(deps, input), describeRevoke),
    prepareRotate: boundToApproval('rotateKey', (input: StepInput) => prepareRotate(deps, input), describeRotate),
    prepareBlock: boundToApproval('blockTraffic', (input: StepInput) => prepareBlock(deps, input), describeBlock),
    prepareRevokeKeyAccess: boundToApproval('revokeKeyAccess', (input: StepInput) => prepareRevokeKeyAccess(deps, input), describeRevokeKeyAccess),
    prepareClosePublicAccess: boundToApproval('closePublicAccess', (input: StepInput) => prepareClosePublicAccess(deps, input), describeClosePublicAccess),
    prepareProtectDataStore: boundToApproval('protectDataStore', (input: StepInput) => prepareProtectDataStore(deps, input), describeProtectDataStore),
    prepareRotateAccessKey: boundToApproval('rotateAccessKey', (input: StepInput) => prepareRotateAccessKey(deps, input), describeRotateAccessKey),
    prepareRotateSecret: boundToApproval('rotateSecret', (input: StepInput) => prepareRotateSecret(deps, input), describeRotateSecret),
  };
}
