import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Config } from '../../platform/config';

export interface AwsClients {
  iam: IAMClient;
  kms: KMSClient;
  waf: WAFV2Client;
  /** for how recently a retired KMS key was used */
  cloudTrail: CloudTrailClient;
}

export type AwsSettings = Config['aws'];

/**
 * The AWS SDK v3 clients the playbooks use. Credentials are left to the standard credential
 * chain (environment, shared config, SSO, instance or task role); only region and endpoint are set.
 * The SDK's own retries are off: the Temporal retry policy is the one place retries happen.
 */
export function createAwsClients(settings: Pick<AwsSettings, 'region' | 'endpoint'>): AwsClients {
  const common = { region: settings.region, maxAttempts: 1, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) };
  return { iam: new IAMClient(common), kms: new KMSClient(common), waf: new WAFV2Client(common), cloudTrail: new CloudTrailClient(common) };
}
