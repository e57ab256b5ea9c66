import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../../platform/config';
import { activityCancellation } from '../heartbeat';
import { guardWrites } from './ledger';

export interface AwsClients {
  iam: IAMClient;
  kms: KMSClient;
  waf: WAFV2Client;
  /** for how recently a retired KMS key was used */
  cloudTrail: CloudTrailClient;
  /** bucket policies and Block Public Access of exposed buckets */
  s3: S3Client;
  /** security-group ingress open to the world */
  ec2: EC2Client;
  /** evidence snapshots of a database under attack */
  rds: RDSClient;
  /** IAM Identity Center account assignments (break-glass permission sets) */
  ssoAdmin: SSOAdminClient;
  /** the secrets services read their credentials from (access-key rotation, rotation functions) */
  secretsManager: SecretsManagerClient;
  /** the API's user pools: a compromised user signed out everywhere */
  cognito: CognitoIdentityProviderClient;
}

export type AwsSettings = Config['aws'];

type HandleArgs = Parameters<NodeHttpHandler['handle']>;

/**
 * Every AWS request sent while an activity runs carries the activity's cancellation signal, as
 * `send(command, { abortSignal })` would: a cancelled or timed-out attempt closes its HTTP request
 * instead of leaving it in flight. Here, under every client, so no `send` can forget it.
 */
class CancellableHttpHandler extends NodeHttpHandler {
  override handle(request: HandleArgs[0], options: HandleArgs[1] = {}) {
    return super.handle(request, { ...options, abortSignal: options.abortSignal ?? activityCancellation() });
  }
}

/** The HTTP handler for every AWS SDK client an activity uses. */
export function cancellableRequestHandler(): NodeHttpHandler {
  return new CancellableHttpHandler();
}

/**
 * The AWS SDK v3 clients the playbooks use. Credentials are left to the standard credential
 * chain (environment, shared config, SSO, instance or task role); only region and endpoint are set.
 * The SDK's own retries are off: the Temporal retry policy is the one place retries happen.
 */
export function createAwsClients(settings: Pick<AwsSettings, 'region' | 'endpoint'>): AwsClients {
  const common = { region: settings.region, maxAttempts: 1, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) };
  return {
    iam: guardWrites(new IAMClient({ ...common, requestHandler: cancellableRequestHandler() })),
    kms: guardWrites(new KMSClient({ ...common, requestHandler: cancellableRequestHandler() })),
    waf: guardWrites(new WAFV2Client({ ...common, requestHandler: cancellableRequestHandler() })),
    cloudTrail: guardWrites(new CloudTrailClient({ ...common, requestHandler: cancellableRequestHandler() })),
    // An emulator or VPC endpoint has no per-bucket host names.
    s3: guardWrites(new S3Client({ ...common, forcePathStyle: !!settings.endpoint, requestHandler: cancellableRequestHandler() })),
    ec2: guardWrites(new EC2Client({ ...common, requestHandler: cancellableRequestHandler() })),
    rds: guardWrites(new RDSClient({ ...common, requestHandler: cancellableRequestHandler() })),
    ssoAdmin: guardWrites(new SSOAdminClient({ ...common, requestHandler: cancellableRequestHandler() })),
    secretsManager: guardWrites(new SecretsManagerClient({ ...common, requestHandler: cancellableRequestHandler() })),
    cognito: guardWrites(new CognitoIdentityProviderClient({ ...common, requestHandler: cancellableRequestHandler() })),
  };
}
