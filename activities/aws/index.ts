import type { AwsClients, AwsSettings } from './clients';
import { createIamActivities } from './iam';
import { createKmsActivities } from './kms';
import { createOAuthActivities } from './oauth';
import { createPrepareActivities } from './planners';
import { createWafActivities } from './waf';
import { createBlockOwnerActivities } from './block-owners';

export interface AwsActivityDeps {
  aws: AwsClients;
  awsSettings: AwsSettings;
  fetch: typeof fetch;
}

/** The activities of the AWS containment playbooks (revokeCredentials, rotateKey, blockTraffic). */
export function createAwsActivities(deps: AwsActivityDeps) {
  return {
    ...createPrepareActivities(deps),
    ...createIamActivities(deps.aws.iam),
    ...createKmsActivities(deps.aws.kms),
    ...createWafActivities(deps.aws.waf),
    ...createBlockOwnerActivities(deps.aws.waf),
    ...createOAuthActivities(deps),
  };
}

export type AwsActivities = ReturnType<typeof createAwsActivities>;

export { createAwsClients, type AwsClients, type AwsSettings } from './clients';
export { createAwsPlanners } from './planners';
export { workerIamPolicy } from './policy';
export type { BlockPlan, RevokePlan, RotatePlan } from './prepare';
export type { IpSetRef } from './params';
