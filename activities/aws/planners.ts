import type { Planner } from '../plan';
import type { AwsClients, AwsSettings } from './clients';
import { QUARANTINE_POLICY_NAME, SESSION_POLICY_NAME } from './iam';
import { prepareBlock, prepareRevoke, prepareRotate, type BlockPlan, type RevokePlan, type RotatePlan } from './prepare';

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

export function describeRevoke(plan: RevokePlan): { lines: string[]; changes: unknown } {
  const lines: string[] = [];
  const user = `IAM user ${plan.principal}`;
  for (const id of plan.targetKeyIds) {
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
          `schedule deletion of ${plan.keyId} after ${plan.pendingWindowDays} days (cancellable until then)`,
        ];
  const { marker: _marker, ...changes } = plan;
  return { lines, changes };
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

export function createAwsPlanners(deps: { aws: AwsClients; awsSettings: AwsSettings }): Record<string, Planner> {
  return {
    revokeCredentials: async (input) => describeRevoke(await prepareRevoke(deps, input)),
    rotateKey: async (input) => describeRotate(await prepareRotate(deps, input)),
    blockTraffic: async (input) => describeBlock(await prepareBlock(deps, input)),
  };
}
