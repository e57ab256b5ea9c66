import { boundToApproval } from '../approved-plan';
import type { Planner } from '../plan';
import type { StepInput } from '../step';
import type { AwsClients, AwsSettings } from './clients';
import { QUARANTINE_POLICY_NAME, SESSION_POLICY_NAME } from './iam';
import { prepareBlock, prepareRevoke, prepareRotate, type BlockPlan, type RevokePlan, type RotatePlan } from './prepare';

/**
 * Plans for the AWS step types: read the current state, say exactly what will change. The lines go
 * to approvers and dry runs; `changes` is what the approval hash binds. Neither holds secrets
 * (OAuth tokens appear as fingerprints) nor anything time-dependent, so planning twice in a row
 * gives the same hash.
 */

export function describeRevoke(plan: RevokePlan): { lines: string[]; changes: unknown } {
  const lines: string[] = [];
  const user = `IAM user ${plan.principal}`;
  for (const id of plan.targetKeyIds) {
    lines.push(plan.toDeactivate.includes(id) ? `deactivate access key ${id} of ${user}` : `access key ${id} of ${user} is already inactive`);
  }
  if (plan.targetKeyIds.length === 0) lines.push(`${user} has no access keys`);
  if (plan.targetKeyIds.length > 0) {
    lines.push(plan.deleteAfter === null ? 'keep the inactive keys (no deletion)' : `delete the inactive keys after ${plan.deleteAfter} (kept as evidence until then)`);
  }
  if (plan.sessions) {
    const who = `${plan.sessions.target.kind === 'role' ? 'IAM role' : 'IAM user'} ${plan.sessions.target.name}`;
    lines.push(`${plan.sessions.alreadyRevoked ? 'refresh' : 'attach'} inline policy ${SESSION_POLICY_NAME} to ${who}: deny credentials issued before containment`);
  }
  if (plan.loginProfile === 'remove') lines.push(`remove the console login profile of ${user}`);
  if (plan.loginProfile === 'absent') lines.push(`${user} has no console login profile`);
  if (plan.quarantine) {
    lines.push(plan.quarantine.alreadyAttached ? `${user} is already quarantined` : `attach deny-all inline policy ${QUARANTINE_POLICY_NAME} to ${user}`);
  }
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

/** The playbooks' first activities: the plan to act on, refused when it is not the approved one. */
export function createPrepareActivities(deps: { aws: AwsClients; awsSettings: AwsSettings }) {
  return {
    prepareRevoke: boundToApproval('revokeCredentials', (input: StepInput) => prepareRevoke(deps, input), describeRevoke),
    prepareRotate: boundToApproval('rotateKey', (input: StepInput) => prepareRotate(deps, input), describeRotate),
    prepareBlock: boundToApproval('blockTraffic', (input: StepInput) => prepareBlock(deps, input), describeBlock),
  };
}
