import { setTimeout as sleep } from 'node:timers/promises';
import { AddUserToGroupCommand, GetRoleCommand, paginateGetGroup, RemoveUserFromGroupCommand, UpdateAssumeRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import {
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  paginateListAccountAssignments,
  type AccountAssignmentOperationStatus,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { grantKey, TRUST_SID_PREFIX, trustStatementSid, type AccessGrant, type AccessTarget } from '../../domain/access';
import type { WriteAuthority } from '../../domain/ledger';
import { finalFailure } from '../errors';
import { call, collectPages, readOptional } from './calls';
import { recordWrite } from './ledger';

/**
 * Break-glass grants in AWS: IAM group membership, a statement in a role's trust policy, an IAM
 * Identity Center account assignment. Each write reads first and treats "already so" as done, so
 * a retried grant or revocation (a lost worker, a replay) changes nothing twice; revoking what is
 * already gone (the role or group deleted meanwhile) is done. Every write goes on the ledger.
 */

export interface GrantInput {
  grant: AccessGrant;
  authority?: WriteAuthority;
}

export interface GrantResult {
  changed: boolean;
}

interface TrustStatement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action?: unknown;
}

interface TrustPolicy {
  Version?: string;
  Statement: TrustStatement[];
}

/** Identity Center answers assignments asynchronously; this long, then the activity's retry asks again. */
const ASSIGNMENT_WAIT_MS = 20_000;

export function createAccessActivities(iam: IAMClient, sso: SSOAdminClient) {
  async function groupMembers(group: string): Promise<string[] | undefined> {
    try {
      return await collectPages(`GetGroup ${group}`, paginateGetGroup({ client: iam }, { GroupName: group }), (p) => p.Users?.map((u) => u.UserName!));
    } catch (err) {
      if ((err as ApplicationFailure).type === 'NoSuchEntity') return undefined;
      throw err;
    }
  }

  async function trustPolicy(role: string): Promise<{ arn: string; policy: TrustPolicy } | undefined> {
    const got = await readOptional(`GetRole ${role}`, () => iam.send(new GetRoleCommand({ RoleName: role })));
    if (!got?.Role) return undefined;
    const doc = got.Role.AssumeRolePolicyDocument ? (JSON.parse(decodeURIComponent(got.Role.AssumeRolePolicyDocument)) as TrustPolicy) : { Statement: [] };
    return { arn: got.Role.Arn!, policy: { ...doc, Statement: Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement] } };
  }

  async function assignments(t: Extract<AccessTarget, { type: 'permissionSet' }>): Promise<string[]> {
    const listed = await collectPages(
      `ListAccountAssignments ${t.accountId}`,
      paginateListAccountAssignments({ client: sso }, { InstanceArn: t.instanceArn, AccountId: t.accountId, PermissionSetArn: t.permissionSetArn }),
      (p) => p.AccountAssignments,
    );
    return listed.filter((a) => a.PrincipalType === 'USER').map((a) => a.PrincipalId!);
  }

  /** Wait for Identity Center to finish an assignment change; still in progress: retried by Temporal. */
  async function settled(what: string, first: AccountAssignmentOperationStatus | undefined, describe: (id: string) => Promise<AccountAssignmentOperationStatus | undefined>): Promise<void> {
    let status = first;
    const until = Date.now() + ASSIGNMENT_WAIT_MS;
    while (status?.Status === 'IN_PROGRESS' && Date.now() < until) {
      Context.current().heartbeat();
      await sleep(250);
      status = await describe(status.RequestId!);
    }
    if (status?.Status === 'FAILED') throw finalFailure(`${what} failed: ${status.FailureReason ?? 'no reason given'}`, 'AssignmentFailed');
    if (status?.Status !== 'SUCCEEDED') throw ApplicationFailure.retryable(`${what} is still in progress`, 'AssignmentInProgress');
  }

  const ssoKey = (g: Extract<AccessGrant, { type: 'permissionSet' }>) => ({
    InstanceArn: g.instanceArn,
    TargetId: g.accountId,
    TargetType: 'AWS_ACCOUNT' as const,
    PermissionSetArn: g.permissionSetArn,
    PrincipalType: 'USER' as const,
    PrincipalId: g.userId,
  });

  return {
    /** Add the grant unless it is there already. */
    async grantAccess({ grant }: GrantInput): Promise<GrantResult> {
      switch (grant.type) {
        case 'iamGroup': {
          const members = await groupMembers(grant.group);
          if (!members) throw finalFailure(`IAM group ${grant.group} does not exist`, 'NoSuchEntity');
          if (members.includes(grant.userName)) return { changed: false };
          await call(`AddUserToGroup ${grant.group}`, () => iam.send(new AddUserToGroupCommand({ GroupName: grant.group, UserName: grant.userName })));
          await recordWrite({ api: 'iam:AddUserToGroup', resource: `group/${grant.group}`, before: { member: false }, after: { member: true, user: grant.userName } });
          return { changed: true };
        }
        case 'roleTrust': {
          const role = await trustPolicy(grant.role);
          if (!role) throw finalFailure(`IAM role ${grant.role} does not exist`, 'NoSuchEntity');
          const sid = trustStatementSid(grant.principalArn);
          if (role.policy.Statement.some((s) => s.Sid === sid)) return { changed: false };
          const after = { ...role.policy, Statement: [...role.policy.Statement, { Sid: sid, Effect: 'Allow', Principal: { AWS: grant.principalArn }, Action: 'sts:AssumeRole' }] };
          await call(`UpdateAssumeRolePolicy ${grant.role}`, () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: grant.role, PolicyDocument: JSON.stringify(after) })));
          await recordWrite({ api: 'iam:UpdateAssumeRolePolicy', resource: role.arn, before: { statements: role.policy.Statement.length }, after: { added: sid, principal: grant.principalArn } });
          return { changed: true };
        }
        case 'permissionSet': {
          if ((await assignments(grant)).includes(grant.userId)) return { changed: false };
          const made = await call(`CreateAccountAssignment ${grant.accountId}`, () => sso.send(new CreateAccountAssignmentCommand(ssoKey(grant))));
          await settled(`CreateAccountAssignment ${grant.accountId}`, made.AccountAssignmentCreationStatus, async (id) =>
            (await call('DescribeAccountAssignmentCreationStatus', () => sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: grant.instanceArn, AccountAssignmentCreationRequestId: id })))).AccountAssignmentCreationStatus,
          );
          await recordWrite({ api: 'sso:CreateAccountAssignment', resource: grant.permissionSetArn, before: { assigned: false }, after: { assigned: true, account: grant.accountId, user: grant.userId } });
          return { changed: true };
        }
      }
    },

    /** Remove the grant if it is there; gone already (or its group or role deleted) is done. */
    async revokeAccess({ grant }: GrantInput): Promise<GrantResult> {
      switch (grant.type) {
        case 'iamGroup': {
          const members = await groupMembers(grant.group);
          if (!members?.includes(grant.userName)) return { changed: false };
          await call(`RemoveUserFromGroup ${grant.group}`, () => iam.send(new RemoveUserFromGroupCommand({ GroupName: grant.group, UserName: grant.userName })));
          await recordWrite({ api: 'iam:RemoveUserFromGroup', resource: `group/${grant.group}`, before: { member: true, user: grant.userName }, after: { member: false } });
          return { changed: true };
        }
        case 'roleTrust': {
          const role = await trustPolicy(grant.role);
          const sid = trustStatementSid(grant.principalArn);
          if (!role?.policy.Statement.some((s) => s.Sid === sid)) return { changed: false };
          const after = { ...role.policy, Statement: role.policy.Statement.filter((s) => s.Sid !== sid) };
          await call(`UpdateAssumeRolePolicy ${grant.role}`, () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: grant.role, PolicyDocument: JSON.stringify(after) })));
          await recordWrite({ api: 'iam:UpdateAssumeRolePolicy', resource: role.arn, before: { removed: sid, principal: grant.principalArn }, after: { statements: after.Statement.length } });
          return { changed: true };
        }
        case 'permissionSet': {
          if (!(await assignments(grant)).includes(grant.userId)) return { changed: false };
          const gone = await call(`DeleteAccountAssignment ${grant.accountId}`, () => sso.send(new DeleteAccountAssignmentCommand(ssoKey(grant))));
          await settled(`DeleteAccountAssignment ${grant.accountId}`, gone.AccountAssignmentDeletionStatus, async (id) =>
            (await call('DescribeAccountAssignmentDeletionStatus', () => sso.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: grant.instanceArn, AccountAssignmentDeletionRequestId: id })))).AccountAssignmentDeletionStatus,
          );
          await recordWrite({ api: 'sso:DeleteAccountAssignment', resource: grant.permissionSetArn, before: { assigned: true, account: grant.accountId, user: grant.userId }, after: { assigned: false } });
          return { changed: true };
        }
      }
    },

    /** What AWS grants now through these targets, as grants (for reconciliation). */
    async accessInAws({ targets }: { targets: AccessTarget[] }): Promise<{ grants: AccessGrant[] }> {
      const grants: AccessGrant[] = [];
      for (const target of targets) {
        if (target.type === 'iamGroup') {
          for (const userName of (await groupMembers(target.group)) ?? []) grants.push({ ...target, userName });
        } else if (target.type === 'roleTrust') {
          for (const s of (await trustPolicy(target.role))?.policy.Statement ?? []) {
            const principal = (s.Principal as { AWS?: unknown } | undefined)?.AWS;
            if (s.Sid?.startsWith(TRUST_SID_PREFIX) && typeof principal === 'string') grants.push({ ...target, principalArn: principal });
          }
        } else {
          for (const userId of await assignments(target)) grants.push({ ...target, userId });
        }
      }
      const seen = new Set<string>();
      return { grants: grants.filter((g) => !seen.has(grantKey(g)) && Boolean(seen.add(grantKey(g)))) };
    },
  };
}
