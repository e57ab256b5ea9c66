import { z } from 'zod';
import type { PrincipalFacts } from '../../domain/principal';

/**
 * A CloudTrail `userIdentity` (as SIEMs and EventBridge forward it), for sources that carry one.
 * Only the fields that say who acted are read; the many others CloudTrail adds are ignored.
 */
const issuer = z.object({
  type: z.string().max(100).optional(),
  principalId: z.string().max(512).optional(),
  arn: z.string().max(2048).optional(),
  accountId: z.string().max(20).optional(),
  userName: z.string().max(512).optional(),
});

export const CloudTrailIdentity = z.object({
  type: z.string().max(100),
  principalId: z.string().max(512).optional(),
  arn: z.string().max(2048).optional(),
  accountId: z.string().max(20).optional(),
  accessKeyId: z.string().max(128).optional(),
  userName: z.string().max(512).optional(),
  invokedBy: z.string().max(512).optional(),
  sessionContext: z.object({ sessionIssuer: issuer.optional() }).optional(),
});
export type CloudTrailIdentity = z.infer<typeof CloudTrailIdentity>;

/**
 * What the identity says about its principal. A role session's role is its session issuer; a
 * federated user's issuer is the IAM user whose keys called GetFederationToken (or the root user,
 * given as its ARN so the planner can tell).
 */
export function factsFromCloudTrail(identity: CloudTrailIdentity): PrincipalFacts {
  const issuerOf = identity.sessionContext?.sessionIssuer;
  const facts: PrincipalFacts = { type: identity.type, arn: identity.arn, principalId: identity.principalId, accountId: identity.accountId };
  if (identity.type === 'AWSService') facts.name = identity.invokedBy;
  else if (identity.type === 'AssumedRole') facts.name = issuerOf?.userName;
  else facts.name = identity.userName;
  if (identity.type === 'FederatedUser' && issuerOf) {
    facts.sessionIssuer = issuerOf.type === 'Root' ? (issuerOf.arn ?? 'root') : issuerOf.userName;
  }
  return facts;
}
