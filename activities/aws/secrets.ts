import { createHash } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { classify, finalFailure } from '../errors';
import { call, isNotFound } from './calls';
import { recordWrite } from './ledger';

/**
 * Secrets Manager as the playbooks use it: a secret's versions and their staging labels, read
 * before every write. A secret's value is read only inside the activity that needs it and never
 * returned, logged or put on the ledger: results and records name version ids and access key ids.
 */

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

export interface SecretState {
  arn: string;
  name: string;
  /** version id → its staging labels */
  versions: Record<string, string[]>;
  /** the version labelled AWSCURRENT */
  current: string | undefined;
  rotationLambdaArn: string | undefined;
  rotationEnabled: boolean;
}

function stateOf(out: DescribeSecretCommandOutput): SecretState {
  const versions = Object.fromEntries(Object.entries(out.VersionIdsToStages ?? {}).map(([id, stages]) => [id, [...(stages ?? [])]]));
  return {
    arn: out.ARN!,
    name: out.Name!,
    versions,
    current: Object.keys(versions).find((id) => versions[id]!.includes(CURRENT)),
    rotationLambdaArn: out.RotationLambdaARN || undefined,
    rotationEnabled: out.RotationEnabled === true,
  };
}

/** The secret must exist: a step naming one that is not there is a runbook or configuration error. */
export async function describeSecret(sm: SecretsManagerClient, secretId: string): Promise<SecretState> {
  try {
    return stateOf(await sm.send(new DescribeSecretCommand({ SecretId: secretId })));
  } catch (err) {
    if (isNotFound(err)) throw finalFailure(`Secrets Manager secret ${secretId} does not exist; nothing was changed`, 'ResourceNotFoundException');
    classify(err, `secretsmanager DescribeSecret ${secretId}`);
  }
}

/** The version carrying `stage`, if any. */
export function versionWith(state: SecretState, stage: string): string | undefined {
  return Object.keys(state.versions).find((id) => state.versions[id]!.includes(stage));
}

/**
 * A version id (ClientRequestToken) fixed per incident, step and purpose: a retried or re-run step
 * finds the version it made instead of making another. UUID-shaped, as Secrets Manager expects.
 */
export function stepVersionId(incidentId: string, stepId: string, purpose: string): string {
  const h = createHash('sha256').update(`${incidentId}/${stepId}/${purpose}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A version's value as a JSON object. Only for use inside an activity: never returned. */
export async function readSecretObject(sm: SecretsManagerClient, secretId: string, versionId: string): Promise<Record<string, unknown>> {
  const out = await call(`secretsmanager GetSecretValue ${secretId}`, () => sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId })));
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString ?? '');
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    // The message says what the secret is not, never what it holds.
    throw finalFailure(`Secrets Manager secret ${secretId}: version ${versionId} is not a JSON object; nothing was changed`, 'ValidationError');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Move AWSCURRENT to `versionId` (Secrets Manager moves AWSPREVIOUS to the version it leaves).
 * Already there counts as done. `onlyFrom`: move it only from that version; from any other the
 * secret was changed since, and it is kept.
 */
export async function moveCurrent(
  sm: SecretsManagerClient,
  secretId: string,
  versionId: string,
  onlyFrom?: string,
): Promise<{ outcome: 'moved' | 'already' | 'kept'; from: string | undefined }> {
  const state = await describeSecret(sm, secretId);
  if (!(versionId in state.versions)) {
    throw finalFailure(`Secrets Manager secret ${secretId} has no version ${versionId} (deleted since?); nothing was changed`, 'ResourceNotFoundException');
  }
  if (state.current === versionId) return { outcome: 'already', from: versionId };
  if (onlyFrom !== undefined && state.current !== onlyFrom) return { outcome: 'kept', from: state.current };
  await call(`secretsmanager UpdateSecretVersionStage ${secretId}`, () =>
    sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: CURRENT, MoveToVersionId: versionId, ...(state.current ? { RemoveFromVersionId: state.current } : {}) })),
  );
  await recordWrite({ api: 'secretsmanager:UpdateSecretVersionStage', resource: state.arn, before: { [CURRENT]: state.current ?? null }, after: { [CURRENT]: versionId, [PREVIOUS]: state.current ?? null } });
  return { outcome: 'moved', from: state.current };
}

/** Take `stage` off `versionId` (a label left behind once a version is promoted); absent counts as done. */
export async function removeStage(sm: SecretsManagerClient, secretId: string, versionId: string, stage: string): Promise<boolean> {
  const state = await describeSecret(sm, secretId);
  if (!state.versions[versionId]?.includes(stage)) return false;
  await call(`secretsmanager UpdateSecretVersionStage ${secretId}`, () =>
    sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, RemoveFromVersionId: versionId })),
  );
  await recordWrite({ api: 'secretsmanager:UpdateSecretVersionStage', resource: state.arn, before: { [stage]: versionId }, after: { [stage]: null } });
  return true;
}
