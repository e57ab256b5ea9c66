import { DURATION_HINT, DURATION_PATTERN, parseDurationMs } from '../../domain/duration';
import { z } from 'zod';
import { COGNITO_USER_POOL_ID, COGNITO_USERNAME, PRINCIPAL_TYPES } from '../../domain/alert';
import type { StepInput } from '../step';
import { finalFailure } from '../errors';

/**
 * The parameter contracts of the AWS step types, as runbooks write them. Parsed once, in the first
 * activity of each playbook (and by its planner), so a bad runbook fails fast and non-retryably.
 */

/** A duration a runbook gave; a bad one is the runbook's fault and retrying cannot fix it. */
export function durationMs(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw finalFailure(`${JSON.stringify(text)} is not ${DURATION_HINT}`, 'ValidationError');
  return ms;
}

const duration = z.string().regex(DURATION_PATTERN, DURATION_HINT);

/** A user of an Amazon Cognito user pool (alert subject `cognitoUser`, step parameter `cognito`). */
export const CognitoUser = z
  .object({
    userPoolId: z.string().min(1).max(55).regex(COGNITO_USER_POOL_ID, 'a Cognito user pool id (<region>_<id>)'),
    username: z.string().min(1).max(128).regex(COGNITO_USERNAME, 'a Cognito user name'),
  })
  .strict();

/**
 * OAuth tokens to revoke (RFC 7009): named by the runbook, or by an alert (`${alert.subject.oauthTokens}`),
 * which gives only their fingerprints and the sealed delivery they are read back from.
 */
export const OAuthTokens = z.union([
  z.object({ app: z.string().min(1), tokens: z.array(z.string().min(1)).min(1) }).strict(),
  z
    .object({
      app: z.string().min(1),
      fingerprints: z.array(z.string().regex(/^sha256:[0-9a-f]{12}$/, 'a token fingerprint (sha256:<12 hex>)')).min(1).max(20),
      rawRef: z.string().regex(/^raw\/[\w-]+\/[0-9a-f]{64}$/, 'a stored delivery (raw/<source>/<sha256>)'),
    })
    .strict(),
]);
export type OAuthTokens = z.infer<typeof OAuthTokens>;

export const RevokeParams = z.object({
  /**
   * a name (IAM user, role, federated user) or a principal ARN; absent when the step revokes only
   * what the API's own users hold (OAuth tokens, a Cognito user's sessions)
   */
  principal: z.string().min(1).max(2048).optional(),
  /** `unknown` (older runbooks, alerts that give only a name): an IAM user of that name, else a role */
  principalType: z.enum(PRINCIPAL_TYPES).default('unknown'),
  sessionName: z.string().max(64).optional(),
  /** federated user: the IAM user whose keys created its sessions (a name, or the root user's ARN) */
  sessionIssuer: z.string().min(1).max(2048).optional(),
  /** the principal's account, as the alert says: a same-named principal in another account is not it */
  accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
  accessKeyIds: z.array(z.string().regex(/^[A-Z0-9]{16,128}$/, 'an access key id')).optional(),
  deleteAfter: duration.optional(),
  keep: z.boolean().default(false),
  revokeSessions: z.boolean().default(true),
  roleName: z.string().min(1).max(64).optional(),
  removeLoginProfile: z.boolean().default(false),
  quarantine: z.boolean().default(false),
  oauth: OAuthTokens.optional(),
  /** a user of the API's Cognito user pool, signed out everywhere (its refresh tokens revoked) */
  cognito: CognitoUser.optional(),
  /** an IAM user's leaked key is rotated through the secret aws.credentialSecrets names for the user, then deactivated */
  rotate: z.boolean().default(false),
});
export type RevokeParams = z.infer<typeof RevokeParams>;

export const RotateParams = z.object({
  keyId: z.string().min(1),
  pendingWindowDays: z.coerce.number().int().min(7, 'at least 7 days').max(30, 'at most 30 days').default(30),
});
export type RotateParams = z.infer<typeof RotateParams>;

export const RevokeKeyAccessParams = z
  .object({
    keyId: z.string().min(1),
    /** put the key policy back to its baseline (aws.keyPolicyBaselines, else the KMS default) */
    restorePolicy: z.boolean().default(true),
    /** revoke these grants; default every grant on the key */
    grantIds: z.array(z.string().min(1)).optional(),
    revokeGrants: z.boolean().default(true),
    /** stops every use of the key: only with a two-person approval on the step */
    disableKey: z.boolean().default(false),
  })
  .strict();
export type RevokeKeyAccessParams = z.infer<typeof RevokeKeyAccessParams>;

export const ClosePublicAccessParams = z
  .object({
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
    securityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id (sg-…)').optional(),
    /** turn on all four S3 Block Public Access settings of the bucket */
    blockPublicAccess: z.boolean().default(true),
    /** remove the bucket policy's statements that allow everyone without a condition */
    removePublicStatements: z.boolean().default(true),
    revokeOpenIngress: z.boolean().default(true),
    /** ingress is revoked only on a group with this tag (a PHI service's); another group's is left to a person */
    phiTag: z.object({ key: z.string().min(1), value: z.string() }).strict().default({ key: 'phi', value: 'true' }),
  })
  .strict();
export type ClosePublicAccessParams = z.infer<typeof ClosePublicAccessParams>;

export const IpSetRef = z.object({ name: z.string().min(1), id: z.string().min(1), scope: z.enum(['REGIONAL', 'CLOUDFRONT']) });
export type IpSetRef = z.infer<typeof IpSetRef>;

export const BlockParams = z.object({
  cidrs: z.array(z.string()).min(1, 'at least one address'),
  duration: duration.optional(),
  ipSet: IpSetRef.optional(),
  allowPrivate: z.boolean().default(false),
});
export type BlockParams = z.infer<typeof BlockParams>;

/** Parse step parameters; a mismatch is the runbook's fault and retrying cannot fix it. */
export function parseParams<T extends z.ZodTypeAny>(schema: T, stepType: string, params: StepInput['params']): z.infer<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
  throw finalFailure(`${stepType}: invalid parameters: ${problems}`, 'ValidationError');
}
