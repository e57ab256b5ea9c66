import type { AuditSink } from '../audit-sink';
import type { AwsClients, AwsSettings } from './clients';
import { withWriteLedger } from './ledger';
import { createIamActivities } from './iam';
import { createKeyUsageActivities } from './key-usage';
import { createKmsActivities } from './kms';
import { createKmsAccessActivities } from './kms-access';
import { createOAuthActivities, type TokenSource } from './oauth';
import { createCognitoActivities } from './cognito';
import { createPrepareActivities } from './planners';
import { createPublicAccessActivities } from './public-access';
import { createProtectDataActivities } from './protect-data';
import { createWafActivities } from './waf';
import { createBlockOwnerActivities } from './block-owners';
import { createAccessActivities } from './access';
import { createAccessKeyRotationActivities } from './access-key-rotation';
import { createSecretRotationActivities } from './secret-rotation';

export interface AwsActivityDeps {
  aws: AwsClients;
  awsSettings: AwsSettings;
  fetch: typeof fetch;
  /** each write is recorded here (see ledger.ts) */
  audit: AuditSink;
}

/**
 * The activities of the AWS containment playbooks (revokeCredentials, rotateAccessKey,
 * rotateSecret, rotateKey, revokeKeyAccess, blockTraffic, closePublicAccess, protectDataStore),
 * each in a write scope that puts every write it makes on the ledger.
 */
/** `evidence`: where alert-named OAuth tokens are read back from (the worker's evidence store). */
export function createAwsActivities(deps: AwsActivityDeps & TokenSource) {
  return withWriteLedger(deps.audit, {
    ...createPrepareActivities(deps),
    ...createIamActivities(deps.aws.iam),
    ...createKmsActivities(deps.aws.kms),
    ...createKmsAccessActivities(deps.aws.kms),
    ...createKeyUsageActivities(deps.aws.cloudTrail),
    ...createWafActivities(deps.aws.waf),
    ...createBlockOwnerActivities(deps.aws.waf),
    ...createOAuthActivities(deps),
    ...createCognitoActivities(deps.aws.cognito),
    ...createPublicAccessActivities(deps.aws),
    ...createProtectDataActivities(deps.aws.rds),
    ...createAccessActivities(deps.aws.iam, deps.aws.ssoAdmin),
    ...createAccessKeyRotationActivities(deps.aws),
    ...createSecretRotationActivities(deps.aws.secretsManager),
  });
}

export type AwsActivities = ReturnType<typeof createAwsActivities>;

export { createAwsClients, type AwsClients, type AwsSettings } from './clients';
export { createAwsPlanners } from './planners';
export { workerIamPolicy } from './policy';
export type { BlockPlan, KeyAccessPlan, RevokePlan, RotatePlan } from './prepare';
export type { GrantState } from './kms-access';
export type { PublicAccessPlan } from './public-access-plan';
export type { ProtectDataPlan } from './protect-data';
export type { OpenIngressRule, PublicAccessBlock } from './public-access';
export type { IpSetRef } from './params';
export type { AccessKeyRotationPlan } from './access-key-rotation';
export type { SecretRotationPlan } from './secret-rotation';
