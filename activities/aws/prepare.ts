import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StepInput } from '../step';
import { ApplicationFailure } from '@temporalio/activity';
import { finalFailure } from '../errors';
import { prepareRotateAccessKey, type AccessKeyRotationPlan } from './access-key-rotation';
import { checkCidrs } from './cidr';
import type { AwsClients, AwsSettings } from './clients';
import {
  hasLoginProfile,
  listAccessKeys,
  QUARANTINE_POLICY_NAME,
  readInlinePolicy,
  requireRole,
  SESSION_POLICY_NAME,
  type AccessKeyState,
  type PolicyTarget,
} from './iam';
import { defaultKeyPolicy, parsePolicy, policyDiff, type PolicyStatement } from './key-policy';
import { aliasesOf, describeKey, isReplacementMarker, onDemandRotationCount, onDemandUnsupported, replacementMarkerAlias } from './kms';
import { listGrants, readKeyPolicy, type GrantState } from './kms-access';
import { oauthApp, tokenFingerprint, tokensOf, type TokenSource } from './oauth';
import { readCognitoUser } from './cognito';
import type { CognitoUserRef } from '../../domain/alert';
import { BlockParams, durationMs, parseParams, RevokeKeyAccessParams, RevokeParams, RotateParams, type IpSetRef } from './params';
import { isTemporaryKey, resolveRevokeTarget, type RevokeTarget } from './revoke-target';
import { readIpSet } from './waf';

/**
 * Each playbook's first activity: parse the step's parameters, apply configured defaults, and read
 * the current AWS state into a typed plan. The playbook then acts on exactly this plan, and the
 * planner (dry runs, approval messages) describes exactly this plan.
 */

type Deps = { aws: AwsClients; awsSettings: AwsSettings } & TokenSource;
type PlanRequest = Pick<StepInput, 'incidentId' | 'stepId' | 'params'>;

export interface RevokePlan {
  /** the name: IAM user, role, or federated user ('' for `none`) */
  principal: string;
  /**
   * what `principal` is (absent in plans made before principals had types: an IAM user); `none`:
   * the step names no AWS principal and revokes only what the API's own users hold
   */
  principalType: RevokeTarget['type'] | 'none';
  /** assumed role: the session the alert names (the deny covers every session of the role) */
  sessionName: string | null;
  /** federated user: the IAM user whose keys created its sessions, where the deny goes */
  sessionIssuer: string | null;
  /** an IAM user's access keys (a role or federated user has none) */
  keys: AccessKeyState[];
  /** the long-term keys this step targets */
  targetKeyIds: string[];
  /** targets that are active now: what this step deactivates (and what an undo re-enables) */
  toDeactivate: string[];
  /** temporary (ASIA…) keys the step names: they cannot be deactivated, only denied by the session policy */
  temporaryKeyIds: string[];
  /** null: keep the keys (no deletion) */
  deleteAfter: string | null;
  deleteAfterMs: number | null;
  sessions: { target: PolicyTarget; alreadyRevoked: boolean } | null;
  loginProfile: 'remove' | 'absent' | 'keep';
  quarantine: { alreadyAttached: boolean } | null;
  /** asked for, but meaningless or unsafe for this type of principal: said in the plan, not done */
  notApplied: ('quarantine' | 'removeLoginProfile')[];
  /**
   * `tokens`: named by the runbook; `rawRef`: named by an alert, read back from that stored delivery
   * when they are revoked (so the plan, which is in history, holds none of them)
   */
  oauth: { app: string; host: string; fingerprints: string[]; tokens?: string[]; rawRef?: string } | null;
  /** a user of the API's Cognito user pool, signed out everywhere (absent when the step names none, so plans without one are as they were) */
  cognito?: CognitoUserRef;
  /** `rotate: true`, an IAM user with a secret in aws.credentialSecrets: the key is rotated through it first */
  rotation?: AccessKeyRotationPlan;
  /** `rotate: true` but no rotation: why (the key is deactivated as without it) */
  rotationSkipped?: string;
}

/**
 * The rotation a `rotate: true` step does before deactivating, or why it does none. A rotation
 * that cannot be done (two keys already, a secret holding another key) is not the step's failure: the leaked key is deactivated as without `rotate`, and the plan
 * the approvers see says the service loses its key.
 */
async function rotationOf(deps: Deps, request: PlanRequest, params: RevokeParams, user: string, targetKeyIds: string[]): Promise<Pick<RevokePlan, 'rotation' | 'rotationSkipped'>> {
  if (!params.rotate) return {};
  const mapped = deps.awsSettings.credentialSecrets[user];
  // No secret named for the user: the step is what it was before rotation existed, plan included.
  if (!mapped) return {};
  if (targetKeyIds.length !== 1) return { rotationSkipped: `the step names ${targetKeyIds.length} long-term keys of IAM user ${user}; only one leaked key is rotated` };
  const options = typeof mapped === 'string' ? { secretId: mapped } : mapped;
  try {
    const rotation = await prepareRotateAccessKey(deps, { ...request, params: { ...options, principal: user, principalType: 'iam-user', accessKeyId: targetKeyIds[0] } });
    return { rotation };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) return { rotationSkipped: err.message };
    throw err;
  }
}

/** The tokens a step revokes, by fingerprint; alert-named ones are looked up now, so one that is not there fails before approval. */
async function oauthPlan(deps: Deps, oauth: NonNullable<RevokeParams['oauth']>): Promise<NonNullable<RevokePlan['oauth']>> {
  const host = new URL(oauthApp(deps.awsSettings, oauth.app).revocationEndpoint).host;
  if ('tokens' in oauth) return { app: oauth.app, host, tokens: oauth.tokens, fingerprints: oauth.tokens.map(tokenFingerprint) };
  await tokensOf(deps, oauth);
  return { app: oauth.app, host, fingerprints: oauth.fingerprints, rawRef: oauth.rawRef };
}

/** A step that names no AWS principal: it revokes the API users' tokens and sessions it names, nothing in IAM. */
function withoutPrincipal(params: RevokeParams, common: Pick<RevokePlan, 'oauth' | 'cognito'>): RevokePlan {
  const invalid = (why: string) => finalFailure(`revokeCredentials: ${why}; nothing was changed`, 'ValidationError');
  if (!common.oauth && !common.cognito) throw invalid('the step names no principal, OAuth tokens or Cognito user, so there is nothing to revoke');
  const needPrincipal = [
    ...((params.accessKeyIds ?? []).length > 0 ? ['accessKeyIds'] : []),
    ...(params.roleName ? ['roleName'] : []),
    ...(params.quarantine ? ['quarantine'] : []),
    ...(params.removeLoginProfile ? ['removeLoginProfile'] : []),
  ];
  if (needPrincipal.length > 0) throw invalid(`${needPrincipal.join(', ')} act on an AWS principal, and the step names none`);
  return {
    ...common,
    principal: '',
    principalType: 'none',
    sessionName: null,
    sessionIssuer: null,
    keys: [],
    targetKeyIds: [],
    toDeactivate: [],
    temporaryKeyIds: [],
    deleteAfter: null,
    deleteAfterMs: null,
    sessions: null,
    loginProfile: 'keep',
    quarantine: null,
    notApplied: [],
  };
}

export async function prepareRevoke(deps: Deps, request: PlanRequest): Promise<RevokePlan> {
  const params = parseParams(RevokeParams, 'revokeCredentials', request.params);
  const { iam } = deps.aws;
  const oauth = params.oauth ? await oauthPlan(deps, params.oauth) : null;
  // Read first: a user that is not there fails the step before anything changes.
  if (params.cognito) await readCognitoUser(deps.aws.cognito, params.cognito);
  const cognito = params.cognito ? { userPoolId: params.cognito.userPoolId, username: params.cognito.username } : undefined;
  if (params.principal === undefined) return withoutPrincipal(params, { oauth, ...(cognito ? { cognito } : {}) });
  const target = await resolveRevokeTarget(iam, { ...params, principal: params.principal });
  if (params.roleName) await requireRole(iam, params.roleName);
  const named = params.accessKeyIds ?? [];
  const temporaryKeyIds = named.filter(isTemporaryKey);
  const deleteAfter = params.keep ? null : (params.deleteAfter ?? deps.awsSettings.keyDeletionGrace);
  const common = {
    principal: target.name,
    temporaryKeyIds,
    deleteAfter,
    deleteAfterMs: deleteAfter === null ? null : durationMs(deleteAfter),
    oauth,
    ...(cognito ? { cognito } : {}),
  };
  const sessionsOn = async (sessionTarget: PolicyTarget) =>
    params.revokeSessions
      ? { target: sessionTarget, alreadyRevoked: (await readInlinePolicy(iam, sessionTarget, SESSION_POLICY_NAME)) !== undefined }
      : null;

  if (target.type === 'iam-user') {
    const keys = await listAccessKeys(iam, target.name);
    const targetKeyIds = params.accessKeyIds ? named.filter((id) => !isTemporaryKey(id)) : keys.map((k) => k.id);
    const strangers = targetKeyIds.filter((id) => !keys.some((k) => k.id === id));
    if (strangers.length > 0) {
      throw finalFailure(`access key(s) ${strangers.join(', ')} do not belong to IAM user ${target.name}; nothing was changed`, 'NoSuchEntity');
    }
    return {
      ...common,
      ...(await rotationOf(deps, request, params, target.name, targetKeyIds)),
      principalType: 'iam-user',
      sessionName: null,
      sessionIssuer: null,
      keys,
      targetKeyIds,
      toDeactivate: targetKeyIds.filter((id) => keys.find((k) => k.id === id)?.status === 'Active'),
      sessions: await sessionsOn(params.roleName ? { kind: 'role', name: params.roleName } : { kind: 'user', name: target.name }),
      loginProfile: params.removeLoginProfile ? ((await hasLoginProfile(iam, target.name)) ? 'remove' : 'absent') : 'keep',
      quarantine: params.quarantine
        ? { alreadyAttached: (await readInlinePolicy(iam, { kind: 'user', name: target.name }, QUARANTINE_POLICY_NAME)) !== undefined }
        : null,
      notApplied: [],
    };
  }

  // A role session or a federated user: only temporary keys, and the deny on older sessions is the containment.
  const who = target.type === 'assumed-role' ? `IAM role ${target.name}` : `federated user ${target.name}`;
  const longTerm = named.filter((id) => !isTemporaryKey(id));
  if (longTerm.length > 0) {
    throw finalFailure(
      `revokeCredentials: access key(s) ${longTerm.join(', ')} are long-term keys, which only IAM users have, not ${who}; nothing was changed`,
      'ValidationError',
    );
  }
  if (target.type === 'assumed-role' && params.roleName && params.roleName !== target.name) {
    throw finalFailure(`revokeCredentials: roleName ${params.roleName} differs from the principal, IAM role ${target.name}; nothing was changed`, 'ValidationError');
  }
  if (!params.revokeSessions && !oauth && !cognito) {
    throw finalFailure(`revokeCredentials: revoking its sessions is the only containment for ${who}, and revokeSessions is false; nothing was changed`, 'ValidationError');
  }
  return {
    ...common,
    principalType: target.type,
    sessionName: target.type === 'assumed-role' ? target.sessionName : null,
    sessionIssuer: target.type === 'federated-user' ? target.issuer : null,
    keys: [],
    targetKeyIds: [],
    toDeactivate: [],
    sessions: await sessionsOn(target.type === 'assumed-role' ? { kind: 'role', name: target.name } : { kind: 'user', name: target.issuer }),
    loginProfile: 'keep',
    quarantine: null,
    notApplied: [...(params.quarantine ? (['quarantine'] as const) : []), ...(params.removeLoginProfile ? (['removeLoginProfile'] as const) : [])],
  };
}

export interface RotatePlan {
  requested: string;
  keyId: string;
  keyArn: string;
  keySpec: string;
  keyUsage: string;
  aliases: string[];
  mode: 'on-demand' | 'replace';
  /** why on-demand rotation is not used, when it is not */
  reason?: string;
  rotationsBefore: number;
  limit: number;
  pendingWindowDays: number;
  marker: string;
  /** replace mode: the old key stays readable until CloudTrail shows it unused this long */
  retirement: { unusedFor: string; unusedForMs: number; checkEvery: string; checkEveryMs: number; approvalGroup: string };
}

export async function prepareRotate(deps: Deps, request: PlanRequest): Promise<RotatePlan> {
  const params = parseParams(RotateParams, 'rotateKey', request.params);
  const { kms } = deps.aws;
  const key = await describeKey(kms, params.keyId);
  if (key.KeyManager === 'AWS') throw finalFailure(`KMS key ${params.keyId} is AWS managed; only customer managed keys can be rotated`, 'ValidationError');
  if (key.KeyState !== 'Enabled') {
    throw finalFailure(`KMS key ${params.keyId} is ${key.KeyState}; rotate only enabled keys`, 'KMSInvalidStateException');
  }
  const keyId = key.KeyId!;
  const aliases = (await aliasesOf(kms, keyId)).filter((a) => !isReplacementMarker(a));
  const limit = deps.awsSettings.onDemandRotationLimit;
  const unsupported = onDemandUnsupported(key);
  const rotationsBefore = unsupported ? 0 : await onDemandRotationCount(kms, keyId);
  const reason = unsupported ?? (rotationsBefore >= limit ? `all ${limit} on-demand rotations of this key are used` : undefined);
  if (reason && aliases.length === 0) {
    throw finalFailure(
      `KMS key ${params.keyId} cannot rotate on demand (${reason}) and has no alias to move to a replacement key; rotate it by hand`,
      'ValidationError',
    );
  }
  return {
    requested: params.keyId,
    keyId,
    keyArn: key.Arn!,
    keySpec: key.KeySpec ?? 'SYMMETRIC_DEFAULT',
    keyUsage: key.KeyUsage ?? 'ENCRYPT_DECRYPT',
    aliases,
    mode: reason ? 'replace' : 'on-demand',
    ...(reason ? { reason } : {}),
    rotationsBefore,
    limit,
    pendingWindowDays: params.pendingWindowDays,
    marker: replacementMarkerAlias(request.incidentId, request.stepId),
    retirement: {
      ...deps.awsSettings.keyRetirement,
      unusedForMs: durationMs(deps.awsSettings.keyRetirement.unusedFor),
      checkEveryMs: durationMs(deps.awsSettings.keyRetirement.checkEvery),
    },
  };
}

export interface KeyAccessPlan {
  requested: string;
  keyId: string;
  keyArn: string;
  keyState: string;
  aliases: string[];
  /** set when the key is pending deletion */
  deletionDate?: string;
  /** null: the policy is left as it is (restorePolicy: false) */
  policy: {
    /** where the baseline comes from, for people */
    source: string;
    baseline: string;
    /** the policy now: what an undo puts back */
    current: string;
    removed: PolicyStatement[];
    added: PolicyStatement[];
  } | null;
  /** false: grants are left as they are */
  revokeGrants: boolean;
  /** the grants this step revokes (recorded whole, so an undo can re-create them) */
  grants: GrantState[];
  disable: 'disable' | 'already-disabled' | 'pending-deletion' | 'not-asked';
}

const REVOCABLE_STATES = new Set(['Enabled', 'Disabled', 'PendingDeletion']);

/**
 * The policy an exposed key is put back to: a file named in `aws.keyPolicyBaselines` under the
 * key's id, ARN or one of its aliases; otherwise the policy KMS gives a new key (the account's
 * IAM policies decide, nobody is let in by the key policy itself).
 */
function baselinePolicy(settings: AwsSettings, names: string[], keyArn: string): { source: string; text: string } {
  const configured = Object.entries(settings.keyPolicyBaselines).filter(([ref]) => names.includes(ref));
  const files = [...new Set(configured.map(([, file]) => resolve(file)))];
  if (files.length > 1) {
    throw finalFailure(`aws.keyPolicyBaselines names ${files.length} different files for ${keyArn} (${configured.map(([r]) => r).join(', ')}); keep one`, 'ValidationError');
  }
  if (configured.length === 0) {
    return { source: `the KMS default key policy for account ${keyArn.split(':')[4]}`, text: JSON.stringify(defaultKeyPolicy(keyArn)) };
  }
  const [ref, file] = configured[0]!;
  const setting = `aws.keyPolicyBaselines[${JSON.stringify(ref)}]`;
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    throw finalFailure(`${setting}: cannot read ${file}: ${(err as Error).message}`, 'ValidationError');
  }
  return { source: `${file} (${setting})`, text: JSON.stringify(parsePolicy(text, `${setting} (${file})`)) };
}

export async function prepareRevokeKeyAccess(deps: Deps, request: PlanRequest): Promise<KeyAccessPlan> {
  const params = parseParams(RevokeKeyAccessParams, 'revokeKeyAccess', request.params);
  const { kms } = deps.aws;
  const key = await describeKey(kms, params.keyId);
  const keyId = key.KeyId!;
  const keyArn = key.Arn!;
  const state = key.KeyState ?? 'Unknown';
  if (key.KeyManager === 'AWS') throw finalFailure(`KMS key ${params.keyId} is AWS managed; its policy and grants cannot be changed`, 'ValidationError');
  if (!REVOCABLE_STATES.has(state)) {
    throw finalFailure(`KMS key ${params.keyId} is ${state}; access can be revoked only from an Enabled, Disabled or PendingDeletion key`, 'KMSInvalidStateException');
  }
  const aliases = (await aliasesOf(kms, keyId)).filter((a) => !isReplacementMarker(a));
  let policy: KeyAccessPlan['policy'] = null;
  if (params.restorePolicy) {
    const baseline = baselinePolicy(deps.awsSettings, [params.keyId, keyId, keyArn, ...aliases], keyArn);
    const current = await readKeyPolicy(kms, keyId);
    const diff = policyDiff(current.policy, parsePolicy(baseline.text, baseline.source));
    policy = { source: baseline.source, baseline: baseline.text, current: current.text, ...diff };
  }
  let grants: GrantState[] = [];
  if (params.revokeGrants) {
    const all = await listGrants(kms, keyId);
    const unknown = (params.grantIds ?? []).filter((id) => !all.some((g) => g.grantId === id));
    if (unknown.length > 0) throw finalFailure(`grant(s) ${unknown.join(', ')} are not grants of KMS key ${keyId}; nothing was changed`, 'NotFoundException');
    grants = params.grantIds ? all.filter((g) => params.grantIds!.includes(g.grantId)) : all;
  }
  const disable: KeyAccessPlan['disable'] = !params.disableKey
    ? 'not-asked'
    : state === 'PendingDeletion'
      ? 'pending-deletion'
      : state === 'Disabled'
        ? 'already-disabled'
        : 'disable';
  return {
    requested: params.keyId,
    keyId,
    keyArn,
    keyState: state,
    aliases,
    ...(state === 'PendingDeletion' && key.DeletionDate ? { deletionDate: key.DeletionDate.toISOString() } : {}),
    policy,
    revokeGrants: params.revokeGrants,
    grants,
    disable,
  };
}

export interface BlockPlan {
  ipSet: IpSetRef;
  cidrs: string[];
  /** entries this step adds (and owns: only these are lifted at expiry) */
  toAdd: string[];
  /** entries already in the set, put there by someone else: left alone at expiry */
  alreadyPresent: string[];
  duration: string;
  durationMs: number;
}

export async function prepareBlock(deps: Deps, request: PlanRequest): Promise<BlockPlan> {
  const params = parseParams(BlockParams, 'blockTraffic', request.params);
  const ipSet = params.ipSet ?? deps.awsSettings.wafIpSet;
  if (!ipSet) throw finalFailure('blockTraffic: no ipSet in the step and no aws.wafIpSet configured', 'ValidationError');
  const { cidrs, problems } = checkCidrs(params.cidrs, params.allowPrivate);
  if (problems.length > 0) throw finalFailure(`blockTraffic: refused: ${problems.join('; ')}`, 'ValidationError');
  const state = await readIpSet(deps.aws.waf, ipSet);
  const wrongFamily = cidrs.filter((c) => c.includes(':') !== (state.ipVersion === 'IPV6'));
  if (wrongFamily.length > 0) {
    throw finalFailure(`blockTraffic: IP set ${ipSet.name} holds ${state.ipVersion} addresses; cannot add ${wrongFamily.join(', ')}`, 'ValidationError');
  }
  const duration = params.duration ?? deps.awsSettings.blockDuration;
  return {
    ipSet,
    cidrs,
    toAdd: cidrs.filter((c) => !state.addresses.includes(c)),
    alreadyPresent: cidrs.filter((c) => state.addresses.includes(c)),
    duration,
    durationMs: durationMs(duration),
  };
}
