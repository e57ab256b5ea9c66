import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { finalFailure } from '../errors';
import type { StepInput } from '../step';
import { call } from './calls';
import type { AwsClients } from './clients';
import { recordWrite } from './ledger';
import { parseParams } from './params';
import { CURRENT, describeSecret, PENDING, stepVersionId, versionWith } from './secrets';

/**
 * rotateSecret: a database or API secret whose rotation Lambda is configured in Secrets Manager is
 * rotated by that function (createSecret, setSecret, testSecret, finishSecret), which changes the
 * credential at its source. The step asks for it once (its version id is fixed per step) and reads
 * the rotation back until the new version is AWSCURRENT. There is no undo: putting the old version
 * back would not put the old password back at the database.
 */
export const RotateSecretParams = z.object({ secretId: z.string().min(1).max(2048) }).strict();

export interface SecretRotationPlan {
  secretId: string;
  secretArn: string;
  rotationLambdaArn: string;
  /** the version the rotation makes (fixed per incident and step) */
  versionId: string;
  previousVersionId: string | null;
  /** new: not asked yet; pending: asked, the function is still at it; current: done */
  stage: 'new' | 'pending' | 'current';
}

export async function prepareRotateSecret(deps: { aws: AwsClients }, request: Pick<StepInput, 'incidentId' | 'stepId' | 'params'>): Promise<SecretRotationPlan> {
  const params = parseParams(RotateSecretParams, 'rotateSecret', request.params);
  const secret = await describeSecret(deps.aws.secretsManager, params.secretId);
  if (!secret.rotationLambdaArn) {
    throw finalFailure(`Secrets Manager secret ${params.secretId} has no rotation function configured: rotate it by hand, or configure rotation, then retry the step; nothing was changed`, 'NoRotationFunction');
  }
  const versionId = stepVersionId(request.incidentId, request.stepId, 'rotate-secret');
  const ours = secret.versions[versionId];
  const stage = ours === undefined ? 'new' : ours.includes(CURRENT) ? 'current' : 'pending';
  const pending = versionWith(secret, PENDING);
  if (stage === 'new' && pending !== undefined && pending !== secret.current) {
    throw finalFailure(`Secrets Manager secret ${params.secretId}: a rotation is in progress already (version ${pending} is AWSPENDING); let it finish or cancel it, then retry; nothing was changed`, 'RotationInProgress');
  }
  return {
    secretId: params.secretId,
    secretArn: secret.arn,
    rotationLambdaArn: secret.rotationLambdaArn,
    versionId,
    previousVersionId: (stage === 'current' ? versionWith(secret, 'AWSPREVIOUS') : secret.current) ?? null,
    stage,
  };
}

export function describeRotateSecret(plan: SecretRotationPlan): { lines: string[]; changes: unknown } {
  const secret = `Secrets Manager secret ${plan.secretId}`;
  const lines =
    plan.stage === 'current'
      ? [`${secret} was rotated by this step already: version ${plan.versionId} is AWSCURRENT`]
      : [
          plan.stage === 'new'
            ? `rotate ${secret} with its rotation function ${plan.rotationLambdaArn} (createSecret, setSecret, testSecret, finishSecret): the credential changes at its source`
            : `the rotation of ${secret} asked for by this step is under way`,
          `new version ${plan.versionId} becomes AWSCURRENT; ${plan.previousVersionId ?? 'the current version'} becomes AWSPREVIOUS`,
          'no undo: the function changed the credential itself, so the old version would not work again',
        ];
  return { lines, changes: plan };
}

export const SECRET_NOT_YET_ROTATED = 'SecretNotYetRotated';

export function createSecretRotationActivities(sm: SecretsManagerClient) {
  return {
    /** Ask Secrets Manager to run the rotation function once: a version with the step's id means it was asked. */
    async rotateSecretNow(input: { secretId: string; versionId: string; rotationLambdaArn: string }): Promise<{ asked: boolean }> {
      const secret = await describeSecret(sm, input.secretId);
      if (input.versionId in secret.versions) return { asked: false };
      // The configured function named again (as planned): the same one AWS would use without it.
      const request = { SecretId: secret.arn, ClientRequestToken: input.versionId, RotationLambdaARN: input.rotationLambdaArn, RotateImmediately: true };
      await call(`secretsmanager RotateSecret ${input.secretId}`, () => sm.send(new RotateSecretCommand(request)));
      await recordWrite({ api: 'secretsmanager:RotateSecret', resource: secret.arn, before: { [CURRENT]: secret.current ?? null }, after: { versionId: input.versionId } });
      return { asked: true };
    },

    /** The function runs asynchronously: not current yet is retryable, for the retry policy to wait. */
    async checkSecretRotated(input: { secretId: string; versionId: string }): Promise<{ current: string }> {
      const secret = await describeSecret(sm, input.secretId);
      if (secret.current === input.versionId) return { current: input.versionId };
      throw ApplicationFailure.retryable(`Secrets Manager secret ${input.secretId}: version ${input.versionId} is not AWSCURRENT yet`, SECRET_NOT_YET_ROTATED);
    },
  };
}
