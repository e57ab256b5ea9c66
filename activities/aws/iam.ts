import {
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  paginateListAccessKeys,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { classify, finalFailure } from '../errors';
import { call, collectPages, isNotFound, readOptional } from './calls';
import { recordWrite } from './ledger';

/**
 * IAM containment: access keys, inline deny policies, console login. Every write reads first and
 * treats "already so" as done, so a retried or replayed activity changes nothing twice.
 */

export interface AccessKeyState {
  id: string;
  status: 'Active' | 'Inactive';
}

export type PolicyTarget = { kind: 'user' | 'role'; name: string };

export const SESSION_POLICY_NAME = 'TourniquetRevokeOlderSessions';
export const QUARANTINE_POLICY_NAME = 'TourniquetQuarantine';

/** AWSRevokeOlderSessions-style: deny every request signed with credentials issued before `issuedBefore`. */
export function revokeOlderSessionsPolicy(issuedBefore: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TourniquetRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } },
      },
    ],
  };
}

export const QUARANTINE_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'TourniquetQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }],
};

/** An IAM user or role as found: its ARN names the account it is in. */
export interface IamEntity {
  arn: string;
  path: string;
}

export async function findUser(iam: IAMClient, userName: string): Promise<IamEntity | undefined> {
  const found = await readOptional(`iam GetUser ${userName}`, () => iam.send(new GetUserCommand({ UserName: userName })));
  return found?.User ? { arn: found.User.Arn!, path: found.User.Path ?? '/' } : undefined;
}

export async function findRole(iam: IAMClient, roleName: string): Promise<IamEntity | undefined> {
  const found = await readOptional(`iam GetRole ${roleName}`, () => iam.send(new GetRoleCommand({ RoleName: roleName })));
  return found?.Role ? { arn: found.Role.Arn!, path: found.Role.Path ?? '/' } : undefined;
}

/** The user must exist: a revocation aimed at a name that is not there is a runbook or alert error. */
export async function requireUser(iam: IAMClient, userName: string): Promise<IamEntity> {
  const user = await findUser(iam, userName);
  if (!user) throw finalFailure(`IAM user ${userName} does not exist; nothing was changed`, 'NoSuchEntity');
  return user;
}

export async function requireRole(iam: IAMClient, roleName: string): Promise<IamEntity> {
  const role = await findRole(iam, roleName);
  if (!role) throw finalFailure(`IAM role ${roleName} does not exist; nothing was changed`, 'NoSuchEntity');
  return role;
}

export async function listAccessKeys(iam: IAMClient, userName: string): Promise<AccessKeyState[]> {
  const keys = await collectPages(`iam ListAccessKeys ${userName}`, paginateListAccessKeys({ client: iam }, { UserName: userName }), (page) => page.AccessKeyMetadata);
  return keys.map((key) => ({ id: key.AccessKeyId!, status: key.Status === 'Active' ? 'Active' : 'Inactive' }));
}

export async function hasLoginProfile(iam: IAMClient, userName: string): Promise<boolean> {
  const profile = await readOptional(`iam GetLoginProfile ${userName}`, () =>
    iam.send(new GetLoginProfileCommand({ UserName: userName })),
  );
  return profile !== undefined;
}

/** The inline policy's current document, parsed (IAM returns it URL-encoded), or undefined. */
export async function readInlinePolicy(iam: IAMClient, target: PolicyTarget, policyName: string): Promise<unknown> {
  const what = `iam Get${target.kind === 'user' ? 'User' : 'Role'}Policy ${target.name}/${policyName}`;
  const found = await readOptional<{ PolicyDocument?: string }>(what, () =>
    target.kind === 'user'
      ? iam.send(new GetUserPolicyCommand({ UserName: target.name, PolicyName: policyName }))
      : iam.send(new GetRolePolicyCommand({ RoleName: target.name, PolicyName: policyName })),
  );
  if (!found?.PolicyDocument) return undefined;
  const text = found.PolicyDocument.trim().startsWith('{') ? found.PolicyDocument : decodeURIComponent(found.PolicyDocument);
  return JSON.parse(text);
}

/** The principal's ARN for the ledger (IAM answers it with GetUser / GetRole); its path if IAM does not. */
export async function principalArn(iam: IAMClient, target: PolicyTarget): Promise<string> {
  const what = `iam Get${target.kind === 'user' ? 'User' : 'Role'} ${target.name}`;
  const arn =
    target.kind === 'user'
      ? (await readOptional(what, () => iam.send(new GetUserCommand({ UserName: target.name }))))?.User?.Arn
      : (await readOptional(what, () => iam.send(new GetRoleCommand({ RoleName: target.name }))))?.Role?.Arn;
  return arn ?? `iam:${target.kind}/${target.name}`;
}

export function createIamActivities(iam: IAMClient) {
  const userArn = (name: string) => principalArn(iam, { kind: 'user', name });
  async function setKeyStatus(
    input: { principal: string; accessKeyIds: string[] },
    status: 'Active' | 'Inactive',
  ): Promise<{ changed: string[]; already: string[] }> {
    const current = await listAccessKeys(iam, input.principal);
    const changed: string[] = [];
    const already: string[] = [];
    for (const id of input.accessKeyIds) {
      const key = current.find((k) => k.id === id);
      if (!key) throw finalFailure(`access key ${id} does not belong to IAM user ${input.principal} (or was deleted)`, 'NoSuchEntity');
      if (key.status === status) {
        already.push(id);
        continue;
      }
      await call(`iam UpdateAccessKey ${id}`, () =>
        iam.send(new UpdateAccessKeyCommand({ UserName: input.principal, AccessKeyId: id, Status: status })),
      );
      await recordWrite({ api: 'iam:UpdateAccessKey', resource: `${await userArn(input.principal)}/access-key/${id}`, before: { status: key.status }, after: { status } });
      changed.push(id);
    }
    return { changed, already };
  }

  /** Attach (or refresh) an inline policy; identical content already there counts as done. */
  async function putInlinePolicy(input: { target: PolicyTarget; policyName: string; document: object }): Promise<'attached' | 'already'> {
    const existing = await readInlinePolicy(iam, input.target, input.policyName);
    if (existing && JSON.stringify(existing) === JSON.stringify(input.document)) return 'already';
    const body = JSON.stringify(input.document);
    const { kind, name } = input.target;
    await call(`iam Put${kind === 'user' ? 'User' : 'Role'}Policy ${name}/${input.policyName}`, () =>
      kind === 'user'
        ? iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: input.policyName, PolicyDocument: body }))
        : iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: input.policyName, PolicyDocument: body })),
    );
    await recordWrite({
      api: `iam:Put${kind === 'user' ? 'User' : 'Role'}Policy`,
      resource: `${await principalArn(iam, input.target)}/policy/${input.policyName}`,
      before: existing ?? null,
      after: input.document,
    });
    return 'attached';
  }

  return {
    /** Deactivate (never delete) keys: they stay as evidence until the grace period ends. */
    async deactivateAccessKeys(input: { principal: string; accessKeyIds: string[] }) {
      return setKeyStatus(input, 'Inactive');
    },

    /** The undo of a deactivation, for a key deactivated by mistake. */
    async reactivateAccessKeys(input: { principal: string; accessKeyIds: string[] }) {
      return setKeyStatus(input, 'Active');
    },

    /**
     * Delete keys after the grace period. Only keys still inactive go: a key a responder turned
     * back on meanwhile is a decision, not an oversight, and is kept.
     */
    async deleteAccessKeys(input: { principal: string; accessKeyIds: string[] }) {
      const current = await listAccessKeys(iam, input.principal);
      const deleted: string[] = [];
      const gone: string[] = [];
      const keptActive: string[] = [];
      for (const id of input.accessKeyIds) {
        const key = current.find((k) => k.id === id);
        if (!key) gone.push(id);
        else if (key.status === 'Active') keptActive.push(id);
        else {
          await call(`iam DeleteAccessKey ${id}`, () => iam.send(new DeleteAccessKeyCommand({ UserName: input.principal, AccessKeyId: id })));
          await recordWrite({ api: 'iam:DeleteAccessKey', resource: `${await userArn(input.principal)}/access-key/${id}`, before: { status: 'Inactive' }, after: null });
          deleted.push(id);
        }
      }
      return { deleted, gone, keptActive };
    },

    /**
     * Revoke every session issued before `issuedBefore` (the playbook's start: fixed, so retries
     * and replays write the same document and the second write is skipped).
     */
    async revokeOlderSessions(input: { target: PolicyTarget; issuedBefore: string }): Promise<{ outcome: 'attached' | 'already' }> {
      return outcome(putInlinePolicy({ target: input.target, policyName: SESSION_POLICY_NAME, document: revokeOlderSessionsPolicy(input.issuedBefore) }));
    },

    /**
     * The undo of a session revocation: remove the policy this step wrote. A policy refreshed since
     * (a later containment, with a later issue time) is that containment's and is kept.
     */
    async removeSessionRevocation(input: { target: PolicyTarget; issuedBefore: string }): Promise<{ outcome: 'removed' | 'already' | 'kept' }> {
      return outcome(removeSessionDeny(input));
    },

    async attachQuarantinePolicy(input: { principal: string }): Promise<{ outcome: 'attached' | 'already' }> {
      return outcome(putInlinePolicy({ target: { kind: 'user', name: input.principal }, policyName: QUARANTINE_POLICY_NAME, document: QUARANTINE_POLICY }));
    },

    /** Remove console access; a user without a login profile is already contained. */
    async removeLoginProfile(input: { principal: string }): Promise<{ outcome: 'removed' | 'already' }> {
      return outcome(removeConsoleLogin(input));
    },
  };

  async function removeSessionDeny(input: { target: PolicyTarget; issuedBefore: string }): Promise<'removed' | 'already' | 'kept'> {
    const existing = await readInlinePolicy(iam, input.target, SESSION_POLICY_NAME);
    if (existing === undefined) return 'already';
    if (JSON.stringify(existing) !== JSON.stringify(revokeOlderSessionsPolicy(input.issuedBefore))) return 'kept';
    const { kind, name } = input.target;
    try {
      if (kind === 'user') await iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: SESSION_POLICY_NAME }));
      else await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: SESSION_POLICY_NAME }));
    } catch (err) {
      // Deleted between the read and the write (a retry racing the first attempt): the goal holds.
      if (isNotFound(err)) return 'already';
      classify(err, `iam Delete${kind === 'user' ? 'User' : 'Role'}Policy ${name}/${SESSION_POLICY_NAME}`);
    }
    await recordWrite({
      api: `iam:Delete${kind === 'user' ? 'User' : 'Role'}Policy`,
      resource: `${await principalArn(iam, input.target)}/policy/${SESSION_POLICY_NAME}`,
      before: existing,
      after: null,
    });
    return 'removed';
  }

  async function removeConsoleLogin(input: { principal: string }): Promise<'removed' | 'already'> {
    if (!(await hasLoginProfile(iam, input.principal))) return 'already';
    try {
      await iam.send(new DeleteLoginProfileCommand({ UserName: input.principal }));
    } catch (err) {
      // Deleted between the read and the write (a retry racing the first attempt): the goal holds.
      if (isNotFound(err)) return 'already';
      classify(err, `iam DeleteLoginProfile ${input.principal}`);
    }
    await recordWrite({ api: 'iam:DeleteLoginProfile', resource: `${await userArn(input.principal)}/login-profile`, before: { consoleLogin: true }, after: null });
    return 'removed';
  }
}

/** Results are objects, so the write scope can add the ledger ids of what the activity wrote. */
async function outcome<T extends string>(result: Promise<T>): Promise<{ outcome: T }> {
  return { outcome: await result };
}

export type IamActivities = ReturnType<typeof createIamActivities>;
