/**
 * One place decides what retrying can fix: the classification every activity uses, for AWS
 * error names and for HTTP answers (webhooks, OAuth revocation).
 */
import { ApplicationFailure } from '@temporalio/common';
import { classify, isFinalHttpStatus } from '../../activities/errors';

const awsError = (name: string) => Object.assign(new Error(`${name} from AWS`), { name });

function classified(error: unknown): ApplicationFailure {
  try {
    classify(error, 'iam UpdateAccessKey');
  } catch (failure) {
    return failure as ApplicationFailure;
  }
  throw new Error('classify returned');
}

test.each([
  ['AccessDeniedException', true],
  ['ExpiredTokenException', true],
  ['InvalidClientTokenId', true],
  ['UnrecognizedClientException', true],
  ['SignatureDoesNotMatch', true],
  ['ThrottlingException', false],
  ['ServiceUnavailable', false],
  ['WAFOptimisticLockException', false],
  // KMS: a disabled or pending-deletion key, a refused policy, a quota: final; KMS's own hiccups: retried
  ['KMSInvalidStateException', true],
  ['DisabledException', true],
  ['MalformedPolicyDocumentException', true],
  ['LimitExceededException', true],
  ['InvalidGrantIdException', true],
  ['KMSInternalException', false],
  ['DependencyTimeoutException', false],
  // CloudTrail LookupEvents
  ['InvalidTimeRangeException', true],
  ['InvalidLookupAttributesException', true],
  // Cognito user pools: an unknown user is final; throttling is retried
  ['UserNotFoundException', true],
  ['NotAuthorizedException', true],
  ['TooManyRequestsException', false],
  ['InternalErrorException', false],
])('AWS %s: non-retryable %s', (name, final) => {
  const failure = classified(awsError(name));
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ nonRetryable: final, type: name });
  expect(failure.message).toContain('iam UpdateAccessKey');
});

test.each([
  [400, true],
  [401, true],
  [404, true],
  [408, false],
  [429, false],
  [500, false],
  [503, false],
])('HTTP %i: final %s', (status, final) => {
  expect(isFinalHttpStatus(status)).toBe(final);
});
