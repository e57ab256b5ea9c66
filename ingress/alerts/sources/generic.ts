import { z } from 'zod';
import { COGNITO_USER_POOL_ID, COGNITO_USERNAME, OAUTH_APP, PRINCIPAL_TYPES } from '../../../domain/alert';
import { tokenFingerprint } from '../../../activities/aws/oauth';
import { principalFields } from '../../../domain/principal';
import { SEVERITIES } from '../../../domain/severity';
import { CloudTrailIdentity, factsFromCloudTrail } from '../principal';
import type { SourceAlert } from '../normalise';
import { defineSource } from './source';

/**
 * Tourniquet's own alert format, for systems without a native integration (see README "Alert
 * sources"). One alert, or `{ "alerts": [ … ] }` for several in one delivery.
 */
const GenericAlert = z
  .object({
    id: z.string().min(1).max(200).optional(),
    kind: z.string().min(1).max(200),
    severity: z.enum(SEVERITIES),
    status: z.enum(['firing', 'resolved']).default('firing'),
    title: z.string().min(1).max(500),
    observedAt: z.iso.datetime({ offset: true }).optional(),
    fingerprint: z.string().min(1).max(200).optional(),
    subject: z
      .object({
        principal: z.string().max(512).optional(),
        principalType: z.enum(PRINCIPAL_TYPES).optional(),
        principalArn: z.string().max(2048).optional(),
        sessionName: z.string().max(64).optional(),
        sessionIssuer: z.string().max(2048).optional(),
        accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
        // a CloudTrail event's identity, as a SIEM forwards it
        userIdentity: CloudTrailIdentity.optional(),
        accessKeyId: z.string().max(128).optional(),
        kmsKeyId: z.string().max(512).optional(),
        ips: z.array(z.string().max(64)).max(1000).optional(),
        service: z.string().max(200).optional(),
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
        securityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id (sg-…)').optional(),
        // a user of the API's Cognito user pool: named, never a token of theirs
        cognitoUser: z
          .object({
            userPoolId: z.string().max(55).regex(COGNITO_USER_POOL_ID, 'a Cognito user pool id (<region>_<id>)'),
            username: z.string().min(1).max(128).regex(COGNITO_USERNAME, 'a Cognito user name'),
          })
          .strict()
          .optional(),
        // OAuth tokens of one of the API's applications: revoked by the credential runbooks (RFC
        // 7009). The alert keeps only their fingerprints; the tokens stay in the sealed delivery.
        oauthTokens: z
          .object({
            app: z.string().regex(OAUTH_APP, 'an application name as aws.oauth names it'),
            tokens: z.array(z.string().min(8).max(8192).regex(/^[\x21-\x7e]+$/, 'a token (printable ASCII, no spaces)')).min(1).max(20),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    labels: z.record(z.string().max(200), z.string().max(1000)).default({}),
  })
  .strict();

const GenericPayload = z.union([GenericAlert, z.object({ alerts: z.array(GenericAlert).min(1).max(500) }).strict()]);

type GenericSubject = z.infer<typeof GenericAlert>['subject'];

/** Fields the sender set win over what its `userIdentity` says. */
function subject({ principal, principalType, principalArn, sessionName, sessionIssuer, accountId, userIdentity, oauthTokens, ...rest }: GenericSubject): SourceAlert['subject'] {
  const fromTrail = userIdentity ? factsFromCloudTrail(userIdentity) : {};
  // A principal the sender named is not overruled by the identity's ARN.
  if (principal !== undefined || principalArn !== undefined) delete fromTrail.arn;
  const said = { name: principal, type: principalType, arn: principalArn, sessionName, sessionIssuer, accountId };
  const facts = { ...fromTrail, ...Object.fromEntries(Object.entries(said).filter(([, v]) => v !== undefined)) };
  const s: SourceAlert['subject'] = { ...principalFields(facts), ...rest };
  if (oauthTokens) s.oauthTokens = { app: oauthTokens.app, fingerprints: [...new Set(oauthTokens.tokens.map(tokenFingerprint))] };
  if (!s.accessKeyId && userIdentity?.accessKeyId) s.accessKeyId = userIdentity.accessKeyId;
  return s;
}

export const generic = defineSource({
  name: 'generic',
  schema: GenericPayload,
  toAlerts: (payload) =>
    ('alerts' in payload ? payload.alerts : [payload]).map(({ id, fingerprint, subject: given, ...alert }) => ({
      ...alert,
      subject: subject(given),
      sourceFingerprint: fingerprint,
      sourceId: id,
    })),
});
