import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  paginateListAccessKeys,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { PRINCIPAL_TYPES } from '../../domain/alert';
import { DURATION_HINT, DURATION_PATTERN } from '../../domain/duration';
import { classify, finalFailure } from '../errors';
import type { StepInput } from '../step';
import { call, collectPages, isNotFound } from './calls';
import type { AwsClients } from './clients';
import { findRole, findUser, principalArn, requireUser } from './iam';
import { recordWrite } from './ledger';
import { durationMs, parseParams } from './params';
import { isTemporaryKey } from './revoke-target';
import { CURRENT, describeSecret, moveCurrent, PENDING, readSecretObject, removeStage, stepVersionId, versionWith, type SecretState } from './secrets';

/**
 * Rotating a leaked IAM user access key without an outage: a new key is made and written to the
 * Secrets Manager secret the service reads (a new version, staged AWSPENDING, then promoted to
 * AWSCURRENT), the service is given time to pick it up (its first use, seen by
 * GetAccessKeyLastUsed, or a fixed grace), and only then is the leaked key deactivated.
 *
 * The new secret access key exists in exactly one place outside AWS: the memory of the activity
 * that creates it and writes it to the secret in the same attempt. Results, plans, the ledger and
 * errors name the new key by its id and the secret's new value by its version id.
 */

/** IAM allows this many access keys per user. */
export const ACCESS_KEYS_PER_USER = 2;

const duration = z.string().regex(DURATION_PATTERN, DURATION_HINT);

export const RotateAccessKeyParams = z
  .object({
    /** the IAM user whose key leaked */
    principal: z.string().min(1).max(2048),
    principalType: z.enum(PRINCIPAL_TYPES).default('unknown'),
    /** the leaked key: deactivated once the service uses the new one */
    accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'an access key id'),
    /** the secret (name or ARN) the service reads its key from */
    secretId: z.string().min(1).max(2048),
    /** the JSON fields of the secret that hold the key id and the secret key; the others are kept */
    fields: z
      .object({ accessKeyId: z.string().min(1).default('AWS_ACCESS_KEY_ID'), secretAccessKey: z.string().min(1).default('AWS_SECRET_ACCESS_KEY') })
      .strict()
      .prefault({}),
    /** `lastUsed`: until the new key's first use; `grace`: a fixed wait */
    waitFor: z.enum(['lastUsed', 'grace']).default('lastUsed'),
    /** lastUsed: give up after this long, leaving the leaked key active (the step fails and escalates) */
    pickupTimeout: duration.default('1h'),
    /** lastUsed: how often GetAccessKeyLastUsed is asked */
    checkEvery: duration.default('1m'),
    /** grace: how long the service is given */
    grace: duration.default('15m'),
  })
  .strict();
export type RotateAccessKeyParams = z.infer<typeof RotateAccessKeyParams>;

export interface KeyState {
  id: string;
  status: 'Active' | 'Inactive';
  createdAt: string;
}

export interface AccessKeyRotationPlan {
  principal: string;
  /** the leaked key */
  oldKeyId: string;
  oldKeyStatus: 'Active' | 'Inactive';
  /** the user's keys when planned: a key beside these that the step's secret version does not hold is a lost attempt's */
  keyIds: string[];
  secretId: string;
  secretArn: string;
  fields: { accessKeyId: string; secretAccessKey: string };
  /** the version this step writes (fixed per incident and step) */
  versionId: string;
  /** new: not written yet; staged: AWSPENDING; current: promoted already (a re-run) */
  stage: 'new' | 'staged' | 'current';
  /** the version the service reads now, which the undo puts back */
  previousVersionId: string;
  /** the new key, once made (staged or current) */
  newKeyId: string | null;
  wait: { mode: 'lastUsed'; timeout: string; timeoutMs: number; checkEvery: string; checkEveryMs: number } | { mode: 'grace'; grace: string; graceMs: number };
}

type PlanRequest = Pick<StepInput, 'incidentId' | 'stepId' | 'params'>;

export async function listKeys(iam: IAMClient, userName: string): Promise<KeyState[]> {
  const keys = await collectPages(`iam ListAccessKeys ${userName}`, paginateListAccessKeys({ client: iam }, { UserName: userName }), (page) => page.AccessKeyMetadata);
  return keys.map((k) => ({ id: k.AccessKeyId!, status: k.Status === 'Active' ? 'Active' : 'Inactive', createdAt: k.CreateDate?.toISOString() ?? '' }));
}

/** Only an IAM user has a long-term key to rotate: anything else is a final, explained refusal. */
async function requireKeyOwner(iam: IAMClient, params: RotateAccessKeyParams): Promise<void> {
  const refuse = (who: string) =>
    finalFailure(
      `rotateAccessKey: ${who} has no long-term access key to rotate: its temporary key (${params.accessKeyId}) expires on its own and ` +
        'cannot be replaced in a secret; revoke its sessions instead (revokeCredentials); nothing was changed',
      'NotRotatable',
    );
  if (['assumed-role', 'federated-user', 'aws-service'].includes(params.principalType)) throw refuse(`${params.principalType === 'assumed-role' ? 'IAM role' : params.principalType} ${params.principal}`);
  if (params.principalType === 'root') {
    throw finalFailure('rotateAccessKey: root access keys cannot be rotated by automation: sign in as root and delete them; nothing was changed', 'NotRotatable');
  }
  if (isTemporaryKey(params.accessKeyId)) throw refuse(`the session of ${params.principal}`);
  if (await findUser(iam, params.principal)) return;
  if (await findRole(iam, params.principal)) throw refuse(`IAM role ${params.principal}`);
  await requireUser(iam, params.principal);
}

/** The key id a version of the secret holds (a key id is not secret; the secret key is never read out). */
async function keyIdIn(sm: SecretsManagerClient, secret: SecretState, versionId: string, field: string): Promise<string | undefined> {
  const value = (await readSecretObject(sm, secret.arn, versionId))[field];
  return typeof value === 'string' ? value : undefined;
}

export async function prepareRotateAccessKey(deps: { aws: AwsClients }, request: PlanRequest): Promise<AccessKeyRotationPlan> {
  const params = parseParams(RotateAccessKeyParams, 'rotateAccessKey', request.params);
  const { iam, secretsManager: sm } = deps.aws;
  await requireKeyOwner(iam, params);
  const keys = await listKeys(iam, params.principal);
  const old = keys.find((k) => k.id === params.accessKeyId);
  if (!old) throw finalFailure(`access key ${params.accessKeyId} does not belong to IAM user ${params.principal} (or was deleted); nothing was changed`, 'NoSuchEntity');
  const secret = await describeSecret(sm, params.secretId);
  const versionId = stepVersionId(request.incidentId, request.stepId, 'rotate-access-key');
  const ours = secret.versions[versionId];
  const stage = ours === undefined ? 'new' : ours.includes(CURRENT) ? 'current' : 'staged';
  const previousVersionId = stage === 'current' ? versionWith(secret, 'AWSPREVIOUS') : secret.current;
  if (!previousVersionId) throw finalFailure(`Secrets Manager secret ${params.secretId} has no current version to rotate from; nothing was changed`, 'ValidationError');
  const held = await keyIdIn(sm, secret, previousVersionId, params.fields.accessKeyId);
  if (held !== params.accessKeyId) {
    throw finalFailure(
      `Secrets Manager secret ${params.secretId} holds ${held ? `access key ${held}` : `no field ${params.fields.accessKeyId}`}, not the leaked key ${params.accessKeyId}: ` +
        'the service does not read the leaked key from it; nothing was changed',
      'ValidationError',
    );
  }
  const newKeyId = stage === 'new' ? null : ((await keyIdIn(sm, secret, versionId, params.fields.accessKeyId)) ?? null);
  if (stage === 'new' && keys.length >= ACCESS_KEYS_PER_USER) {
    const others = keys.filter((k) => k.id !== params.accessKeyId).map((k) => `${k.id} (${k.status}, created ${k.createdAt.slice(0, 10)})`);
    throw finalFailure(
      `IAM user ${params.principal} already has ${keys.length} access keys, the most IAM allows: a new key cannot be made beside the leaked ${params.accessKeyId}. ` +
        `Delete the other key ${others.join(', ')} if nothing uses it, or deactivate the leaked key without rotation (revokeCredentials), then retry the step; nothing was changed`,
      'AccessKeyLimitReached',
    );
  }
  return {
    principal: params.principal,
    oldKeyId: old.id,
    oldKeyStatus: old.status,
    keyIds: keys.map((k) => k.id),
    secretId: params.secretId,
    secretArn: secret.arn,
    fields: params.fields,
    versionId,
    stage,
    previousVersionId,
    newKeyId,
    wait:
      params.waitFor === 'lastUsed'
        ? { mode: 'lastUsed', timeout: params.pickupTimeout, timeoutMs: durationMs(params.pickupTimeout), checkEvery: params.checkEvery, checkEveryMs: durationMs(params.checkEvery) }
        : { mode: 'grace', grace: params.grace, graceMs: durationMs(params.grace) },
  };
}

export function describeRotateAccessKey(plan: AccessKeyRotationPlan): { lines: string[]; changes: unknown } {
  const user = `IAM user ${plan.principal}`;
  const secret = `Secrets Manager secret ${plan.secretId}`;
  const lines = [
    plan.stage === 'new'
      ? `1. create a new access key for ${user} (it has ${plan.keyIds.length} of ${ACCESS_KEYS_PER_USER})`
      : `1. the new access key ${plan.newKeyId ?? '(unreadable)'} of ${user} was made by this step already`,
    plan.stage === 'new'
      ? `2. write it to ${secret} as new version ${plan.versionId}, staged AWSPENDING (fields ${plan.fields.accessKeyId}, ${plan.fields.secretAccessKey}; the other fields are kept)`
      : `2. version ${plan.versionId} of ${secret} holds it already`,
    plan.stage === 'current'
      ? `3. version ${plan.versionId} is AWSCURRENT already (${plan.previousVersionId} is AWSPREVIOUS)`
      : `3. promote version ${plan.versionId} to AWSCURRENT; the version the service reads now, ${plan.previousVersionId}, becomes AWSPREVIOUS`,
    plan.wait.mode === 'lastUsed'
      ? `4. wait until the new key is used (GetAccessKeyLastUsed, every ${plan.wait.checkEvery}, for at most ${plan.wait.timeout}; not used by then: the step fails and the leaked key stays active)`
      : `4. wait ${plan.wait.grace} for the service to read the new version`,
    plan.oldKeyStatus === 'Active'
      ? `5. deactivate the leaked access key ${plan.oldKeyId} of ${user} (kept as evidence)`
      : `5. the leaked access key ${plan.oldKeyId} of ${user} is already inactive`,
    `undo: ${plan.previousVersionId} back to AWSCURRENT and ${plan.oldKeyId} active again; the new key stays`,
  ];
  return { lines, changes: plan };
}

/** A failure of the new key's wait, for the retry policy to try again. */
export const KEY_NOT_YET_USED = 'AccessKeyNotYetUsed';

export function createAccessKeyRotationActivities(aws: Pick<AwsClients, 'iam' | 'secretsManager'>) {
  const { iam, secretsManager: sm } = aws;
  const keyArn = async (user: string, id: string) => `${await principalArn(iam, { kind: 'user', name: user })}/access-key/${id}`;

  async function deleteLostKey(user: string, id: string): Promise<void> {
    try {
      await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: id }));
    } catch (err) {
      if (isNotFound(err)) return;
      classify(err, `iam DeleteAccessKey ${id}`);
    }
    await recordWrite({ api: 'iam:DeleteAccessKey', resource: await keyArn(user, id), before: { status: 'Active', reason: 'made by a lost attempt of this step; nobody holds its secret' }, after: null });
  }

  return {
    /**
     * Make the new key and write it, in the same attempt, to a new version of the secret staged
     * AWSPENDING. A retry finds the version by its id and makes nothing; a key a lost attempt made
     * but never wrote (its secret is gone with that attempt) is deleted before another is made, so
     * the user never holds two new keys.
     */
    async stageNewAccessKey(input: { principal: string; oldKeyId: string; keyIds: string[]; secretId: string; versionId: string; fields: AccessKeyRotationPlan['fields']; since: string }): Promise<{ newKeyId: string; created: boolean }> {
      const secret = await describeSecret(sm, input.secretId);
      const keys = await listKeys(iam, input.principal);
      if (input.versionId in secret.versions) {
        const held = await keyIdIn(sm, secret, input.versionId, input.fields.accessKeyId);
        if (!held || !keys.some((k) => k.id === held)) {
          throw finalFailure(`version ${input.versionId} of Secrets Manager secret ${input.secretId} holds a key IAM user ${input.principal} no longer has; a person must look`, 'NoSuchEntity');
        }
        return { newKeyId: held, created: false };
      }
      const slack = Date.parse(input.since) - 5 * 60_000;
      for (const lost of keys.filter((k) => !input.keyIds.includes(k.id) && Date.parse(k.createdAt) >= slack)) await deleteLostKey(input.principal, lost.id);
      const remaining = (await listKeys(iam, input.principal)).length;
      if (remaining >= ACCESS_KEYS_PER_USER) {
        throw finalFailure(`IAM user ${input.principal} has ${remaining} access keys, the most IAM allows; no new key was made`, 'AccessKeyLimitReached');
      }
      if (!secret.current) throw finalFailure(`Secrets Manager secret ${input.secretId} has no current version; nothing was changed`, 'ValidationError');
      const value = await readSecretObject(sm, secret.arn, secret.current);
      if (value[input.fields.accessKeyId] !== input.oldKeyId) {
        throw finalFailure(`Secrets Manager secret ${input.secretId} no longer holds the leaked key ${input.oldKeyId} (changed since the plan); nothing was changed`, 'SecretChanged');
      }

      const made = await call(`iam CreateAccessKey ${input.principal}`, () => iam.send(new CreateAccessKeyCommand({ UserName: input.principal })));
      const newKeyId = made.AccessKey!.AccessKeyId!;
      await recordWrite({ api: 'iam:CreateAccessKey', resource: await keyArn(input.principal, newKeyId), before: null, after: { status: 'Active' } });
      const secretString = JSON.stringify({ ...value, [input.fields.accessKeyId]: newKeyId, [input.fields.secretAccessKey]: made.AccessKey!.SecretAccessKey! });
      try {
        await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, ClientRequestToken: input.versionId, SecretString: secretString, VersionStages: [PENDING] }));
      } catch (err) {
        // A write whose answer was lost may have landed: then the version holds the key, and it stays.
        const landed = await describeSecret(sm, input.secretId).then((s) => input.versionId in s.versions, () => undefined);
        if (landed !== true) {
          // Not written (or not known): its secret goes with this attempt. Only a confirmed absence
          // deletes it now; otherwise the retry finds it as a lost attempt's key.
          if (landed === false) await deleteLostKey(input.principal, newKeyId).catch(() => undefined);
          classify(err, `secretsmanager PutSecretValue ${input.secretId}`);
        }
      }
      await recordWrite({ api: 'secretsmanager:PutSecretValue', resource: secret.arn, before: { [CURRENT]: secret.current }, after: { versionId: input.versionId, stages: [PENDING], accessKeyId: newKeyId } });
      return { newKeyId, created: true };
    },

    /** The staged version becomes the one the service reads; AWSPENDING comes off it. */
    async promoteSecretVersion(input: { secretId: string; versionId: string }): Promise<{ outcome: 'moved' | 'already' }> {
      const { outcome } = await moveCurrent(sm, input.secretId, input.versionId);
      await removeStage(sm, input.secretId, input.versionId, PENDING);
      return { outcome: outcome === 'kept' ? 'already' : outcome };
    },

    /**
     * The undo: the version the service read before back to AWSCURRENT, only from this step's
     * version; a secret rotated again since is that rotation's and is kept.
     */
    async restoreSecretVersion(input: { secretId: string; versionId: string; fromVersionId: string }): Promise<{ outcome: 'moved' | 'already' | 'kept' }> {
      const { outcome } = await moveCurrent(sm, input.secretId, input.versionId, input.fromVersionId);
      return { outcome };
    },

    /** Has the new key been used yet? Not yet is a retryable failure: the retry policy is the wait. */
    async checkAccessKeyUsed(input: { principal: string; accessKeyId: string }): Promise<{ lastUsed: string; service: string }> {
      const out = await call(`iam GetAccessKeyLastUsed ${input.accessKeyId}`, () => iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: input.accessKeyId })));
      const used = out.AccessKeyLastUsed?.LastUsedDate;
      if (!used) throw ApplicationFailure.retryable(`access key ${input.accessKeyId} of IAM user ${input.principal} not used yet`, KEY_NOT_YET_USED);
      return { lastUsed: used.toISOString(), service: out.AccessKeyLastUsed?.ServiceName ?? 'unknown' };
    },
  };
}
