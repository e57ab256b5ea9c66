import { ApplicationFailure } from '@temporalio/activity';

/**
 * Error names that retrying cannot fix. Everything else (throttling, 5xx, timeouts, network)
 * is left to the Temporal retry policy. One place, so every activity classifies alike.
 */
const FINAL_ERROR_NAMES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'NoSuchEntity',
  'NoSuchEntityException',
  'NotFoundException',
  'NotFound',
  'WAFNonexistentItemException',
  'ValidationError',
  'ValidationException',
  'InvalidParameterValue',
  'InvalidInput',
  'MalformedPolicyDocument',
  'WAFInvalidParameterException',
  // KMS: a key disabled or pending deletion stays so until a person changes it; a policy KMS
  // refuses (or one that would lock the caller out) is refused again; quotas do not lift on retry.
  'DisabledException',
  'KMSInvalidStateException',
  'InvalidArnException',
  'MalformedPolicyDocumentException',
  'LimitExceededException',
  'InvalidGrantIdException',
  'InvalidGrantTokenException',
  'InvalidKeyUsageException',
  'IncorrectKeyException',
  'InvalidCiphertextException',
  'UnsupportedOperationException',
  // CloudTrail LookupEvents: a malformed question gets the same answer every time.
  'InvalidLookupAttributesException',
  'InvalidTimeRangeException',
  'InvalidNextTokenException',
  'InvalidEventCategoryException',
  'OperationNotPermittedException',
  // S3 and EC2: the bucket or group is not there, or the id is not one.
  'NoSuchBucket',
  'InvalidGroup.NotFound',
  'InvalidGroupId.Malformed',
  'InvalidPermission.Malformed',
  'InvalidBucketName',
  // RDS: the database is not there, or not in a state to snapshot until a person acts
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'InvalidDBInstanceState',
  'InvalidDBInstanceStateFault',
  'InvalidDBClusterStateFault',
  'SnapshotQuotaExceeded',
  // Secrets Manager: the secret is not there or not in a state to change (marked for deletion, a
  // rotation already in progress), a parameter it refuses, a KMS key it cannot use.
  'ResourceNotFoundException',
  'InvalidRequestException',
  'InvalidParameterException',
  'ResourceExistsException',
  'EncryptionFailure',
  'DecryptionFailure',
  // Cognito user pools: the user is not there, or the worker may not act on the pool.
  'UserNotFoundException',
  'NotAuthorizedException',
  // Credentials that are wrong or expired stay so until someone fixes them.
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);

/**
 * The SDK's credential chain (environment, shared config and SSO, web identity, container or
 * instance role) found nothing usable. Retrying cannot help until someone gives the worker
 * credentials, and the SDK's own words ("Could not load credentials from any providers") name no
 * setting, so the failure says which ones.
 */
const CREDENTIAL_CHAIN_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

export const AWS_NOT_CONFIGURED = 'AwsNotConfigured';

function awsNotConfigured(err: Error, context: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${context}: AWS is not configured: the standard credential chain found no usable credentials (${err.message}). ` +
      'Give the worker credentials, then retry the step: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary ones), ' +
      'or AWS_PROFILE naming a profile in ~/.aws/config or ~/.aws/credentials (for SSO, run aws sso login), ' +
      'or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, or an instance or task role; aws.region (AWS_REGION) picks the region',
    AWS_NOT_CONFIGURED,
  );
}

/** A 4xx that retrying cannot fix; 408 (timeout) and 429 (too many requests) are worth retrying. */
export function isFinalHttpStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export function isFinal(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return typeof name === 'string' && FINAL_ERROR_NAMES.has(name);
}

/** Rethrow `error`, marking it non-retryable when retrying cannot help. */
export function classify(error: unknown, context: string): never {
  if (error instanceof ApplicationFailure) throw error;
  const err = error as Error;
  if (CREDENTIAL_CHAIN_ERRORS.has(err.name)) throw awsNotConfigured(err, context);
  const message = `${context}: ${err.name ?? 'Error'}: ${err.message ?? String(error)}`;
  if (isFinal(error)) throw ApplicationFailure.nonRetryable(message, err.name);
  throw ApplicationFailure.retryable(message, err.name ?? 'Error');
}

/** A failure the caller must not retry, with a type the workflow and UI can read. */
export function finalFailure(message: string, type: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}
