import type { IAMClient } from '@aws-sdk/client-iam';
import type { PrincipalType } from '../../domain/alert';
import { isIamName, parsePrincipalArn } from '../../domain/principal';
import { finalFailure } from '../errors';
import { findRole, findUser, SESSION_POLICY_NAME, type IamEntity } from './iam';
import type { RevokeParams } from './params';

/**
 * Whom a revokeCredentials step acts on, resolved against IAM: the principal's type decides what
 * revoking means. What automation cannot contain (the root user, an AWS service, a federated user
 * whose issuer is unknown, service-linked and Identity Center roles) is a final error saying what
 * a person must do, before anything is changed.
 */
export type RevokeTarget =
  | { type: 'iam-user'; name: string }
  | { type: 'assumed-role'; name: string; sessionName: string | null }
  | { type: 'federated-user'; name: string; issuer: string };

/** A failure that is the step's escalation text: what happened, that nothing changed, what to do. */
const manual = (message: string) => finalFailure(message, 'ManualActionRequired');
const invalid = (message: string) => finalFailure(`revokeCredentials: ${message}; nothing was changed`, 'ValidationError');

/** `ASIA…` keys are temporary (STS): they cannot be deactivated, only denied or outlived. */
export const isTemporaryKey = (id: string): boolean => id.startsWith('ASIA');

interface Said {
  type: PrincipalType;
  name: string;
  sessionName?: string;
  accountId?: string;
}

/** The principal as the step names it: an ARN decides its type and name. */
function said(params: RevokeParams & { principal: string }): Said {
  if (!params.principal.startsWith('arn:')) {
    return { type: params.principalType, name: params.principal, sessionName: params.sessionName, accountId: params.accountId };
  }
  const arn = parsePrincipalArn(params.principal);
  if (arn.type === 'unknown') throw invalid(`${params.principal} is not the ARN of an IAM user, role, federated user or root`);
  if (params.principalType !== 'unknown' && params.principalType !== arn.type) {
    throw invalid(`principal ${params.principal} is ${arn.type} by its ARN, but principalType says ${params.principalType}`);
  }
  return { type: arn.type, name: arn.name!, sessionName: params.sessionName ?? arn.sessionName, accountId: params.accountId ?? arn.accountId };
}

export async function resolveRevokeTarget(iam: IAMClient, params: RevokeParams & { principal: string }): Promise<RevokeTarget> {
  const p = said(params);
  if (p.type === 'root') throw rootRefusal(p.accountId, params.accessKeyIds ?? []);
  if (p.type === 'aws-service') throw serviceRefusal(p.name);
  if (!isIamName(p.name)) throw invalid(`${JSON.stringify(p.name)} is not an IAM user, role or federated user name`);
  const inAccount = (entity: IamEntity, what: string) => sameAccount(entity, what, p.accountId);

  switch (p.type) {
    case 'iam-user': {
      const user = await findUser(iam, p.name);
      if (!user) throw finalFailure(`IAM user ${p.name} does not exist; nothing was changed`, 'NoSuchEntity');
      inAccount(user, `IAM user ${p.name}`);
      return { type: 'iam-user', name: p.name };
    }
    case 'assumed-role': {
      const role = await findRole(iam, p.name);
      if (!role) throw finalFailure(`IAM role ${p.name} does not exist; nothing was changed`, 'NoSuchEntity');
      editableRole(p.name, role);
      inAccount(role, `IAM role ${p.name}`);
      return { type: 'assumed-role', name: p.name, sessionName: p.sessionName ?? null };
    }
    case 'federated-user': {
      const issuer = await federationIssuer(iam, p.name, params.sessionIssuer);
      inAccount(issuer.entity, `IAM user ${issuer.name}`);
      return { type: 'federated-user', name: p.name, issuer: issuer.name };
    }
    case 'unknown': {
      // A bare name (older runbooks, alerts without a type): the user of that name, else the role.
      const user = await findUser(iam, p.name);
      if (user) {
        inAccount(user, `IAM user ${p.name}`);
        return { type: 'iam-user', name: p.name };
      }
      const role = await findRole(iam, p.name);
      if (!role) throw finalFailure(`no IAM user or role named ${p.name}; nothing was changed`, 'NoSuchEntity');
      editableRole(p.name, role);
      inAccount(role, `IAM role ${p.name}`);
      return { type: 'assumed-role', name: p.name, sessionName: p.sessionName ?? null };
    }
  }
}

/** A same-named principal in the account Tourniquet acts in is someone else. */
function sameAccount(entity: IamEntity, what: string, accountId: string | undefined): void {
  const here = entity.arn.split(':')[4];
  if (accountId && here && here !== accountId) {
    throw finalFailure(
      `the alert is about account ${accountId}, but Tourniquet acts in account ${here}, where ${what} is a different principal; ` +
        `nothing was changed: contain it with credentials for account ${accountId}`,
      'ValidationError',
    );
  }
}

/** AWS forbids editing these roles; trying would fail half-way through the plan. */
function editableRole(name: string, role: IamEntity): void {
  if (role.path.startsWith('/aws-service-role/')) {
    throw manual(
      `IAM role ${name} is a service-linked role: AWS allows neither revoking its sessions nor attaching policies to it; nothing was changed. ` +
        `A person must review what its service does with it and turn off that service's access (or the resources it acts on) if needed`,
    );
  }
  if (role.path.startsWith('/aws-reserved/sso.amazonaws.com/')) {
    throw manual(
      `IAM role ${name} belongs to an IAM Identity Center permission set and cannot be edited; nothing was changed. ` +
        `A person must revoke the user's active permission-set sessions in IAM Identity Center, and disable the user there if compromised`,
    );
  }
}

/** GetFederationToken sessions answer to the IAM user whose keys created them: the deny goes there. */
async function federationIssuer(iam: IAMClient, name: string, issuer: string | undefined): Promise<{ name: string; entity: IamEntity }> {
  if (!issuer) {
    throw manual(
      `federated user ${name}'s sessions (GetFederationToken) can only be revoked through the IAM user whose access keys created them, ` +
        `and the alert does not name that user; nothing was changed. A person must: find that user in CloudTrail ` +
        `(event GetFederationToken for federated user ${name}); attach to it an inline policy denying all actions when ` +
        `aws:TokenIssueTime is before now (as ${SESSION_POLICY_NAME} does); and deactivate its access keys if they may be compromised`,
    );
  }
  const arn = issuer.startsWith('arn:') ? parsePrincipalArn(issuer) : undefined;
  if (arn?.type === 'root') {
    throw manual(
      `federated user ${name}'s sessions were created with the root user's credentials, which no policy can restrict; nothing was changed. ` +
        `A person must secure the root user now (sign in as root, change its password, delete its access keys, check MFA); ` +
        `the federated sessions stay valid until they expire (at most 1 hour when root created them): review CloudTrail for what they do`,
    );
  }
  if (arn && arn.type !== 'iam-user') throw invalid(`sessionIssuer ${issuer} is not an IAM user`);
  const userName = arn?.name ?? issuer;
  if (!isIamName(userName)) throw invalid(`sessionIssuer ${JSON.stringify(issuer)} is not an IAM user name`);
  const entity = await findUser(iam, userName);
  if (!entity) {
    throw finalFailure(`IAM user ${userName}, which created federated user ${name}'s sessions, does not exist; nothing was changed`, 'NoSuchEntity');
  }
  return { name: userName, entity };
}

function rootRefusal(accountId: string | undefined, keyIds: string[]) {
  const keys = keyIds.length > 0 ? ` (the alert names ${keyIds.join(', ')})` : '';
  return manual(
    `the root user of ${accountId ? `account ${accountId}` : 'the account'} cannot be contained by automation: no IAM policy applies to root; ` +
      `nothing was changed. A person must now: sign in as the root user and change its password; delete every root access key${keys}; ` +
      `check that MFA is on, with a device the account owners hold (replace it if in doubt); review CloudTrail for root activity ` +
      `(userIdentity.type Root) since the alert, and undo or contain what root created or changed`,
  );
}

function serviceRefusal(name: string) {
  return manual(
    `${name} is an AWS service acting for the account: it has no credentials of its own to revoke; nothing was changed. ` +
      `A person must find what let it act (CloudTrail events invokedBy ${name}: the role it used or the resource policy naming it) and change that`,
  );
}
