/**
 * The rules of a retired KMS key as tables: the retirement's state machine (status × event), the
 * quiet period at its boundary, and the key policy that retires a key: added once, removed
 * exactly, never touching another statement, and the statement diff a revocation plan shows.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  defaultKeyPolicy,
  describeStatement,
  isRestricted,
  NEW_CIPHERTEXT_ACTIONS,
  parsePolicy,
  policyDiff,
  restrictedPolicy,
  RETIRED_KEY_SID,
  samePolicy,
  withoutRestriction,
  type KeyPolicy,
} from '../../activities/aws/key-policy';
import { nextRetirementStatus, quietLongEnough, retirementEnded, type KeyRetirementEvent, type KeyRetirementStatus } from '../../domain/key-retirement';

test.each<[KeyRetirementStatus, KeyRetirementEvent, KeyRetirementStatus]>([
  ['watching', 'quiet', 'offered'],
  ['watching', 'used', 'watching'],
  ['watching', 'stop', 'stopped'],
  // nothing is scheduled from watching: only an offer with two approvals gets there
  ['watching', 'scheduled', 'watching'],
  ['offered', 'used', 'watching'],
  ['offered', 'scheduled', 'scheduled'],
  ['offered', 'stop', 'stopped'],
  ['scheduled', 'cancelled', 'watching'],
  ['scheduled', 'gone', 'deleted'],
  ['scheduled', 'stop', 'stopped'],
  // a use while pending deletion does not unschedule it by itself: a person cancels
  ['scheduled', 'used', 'scheduled'],
  ['deleted', 'cancelled', 'deleted'],
  ['stopped', 'quiet', 'stopped'],
])('%s + %s → %s', (status, event, next) => {
  expect(nextRetirementStatus(status, event)).toBe(next);
});

test('only deleted and stopped end a retirement', () => {
  expect((['watching', 'offered', 'scheduled', 'deleted', 'stopped'] as const).filter(retirementEnded)).toEqual(['deleted', 'stopped']);
});

test.each([
  [29 * 86_400_000, false],
  [30 * 86_400_000 - 1, false],
  [30 * 86_400_000, true],
  [31 * 86_400_000, true],
])('quiet for %i ms of 30 days: long enough %s', (quietFor, enough) => {
  expect(quietLongEnough(1_000, 1_000 + quietFor, 30 * 86_400_000)).toBe(enough);
});

const ADMINS = {
  Sid: 'Allow access for Key Administrators',
  Effect: 'Allow' as const,
  Principal: { AWS: 'arn:aws:iam::123456789012:role/kms-admin' },
  Action: ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:Put*', 'kms:Get*', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion'],
  Resource: '*',
};
const USERS = {
  Sid: 'Allow use of the key',
  Effect: 'Allow' as const,
  Principal: { AWS: 'arn:aws:iam::123456789012:role/app' },
  Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
  Resource: '*',
};
const policy: KeyPolicy = { Version: '2012-10-17', Statement: [...defaultKeyPolicy('arn:aws:kms:us-east-1:123456789012:key/k').Statement, ADMINS, USERS] };

test('retiring keeps every statement and adds one deny on new ciphertext, for everyone; twice is once', () => {
  const restricted = restrictedPolicy(policy);
  expect(restricted.Statement.slice(0, 3)).toEqual(policy.Statement);
  expect(restricted.Statement[3]).toEqual({ Sid: RETIRED_KEY_SID, Effect: 'Deny', Principal: { AWS: '*' }, Action: [...NEW_CIPHERTEXT_ACTIONS], Resource: '*' });
  expect(NEW_CIPHERTEXT_ACTIONS).not.toEqual(expect.arrayContaining(['kms:Decrypt']));
  expect(NEW_CIPHERTEXT_ACTIONS.filter((a) => /Decrypt|ReEncryptFrom|Verify|DescribeKey|GetKeyPolicy|GetPublicKey|CreateGrant/.test(a))).toEqual([]);
  expect(isRestricted(policy)).toBe(false);
  expect(isRestricted(restricted)).toBe(true);
  expect(restrictedPolicy(restricted)).toEqual(restricted);
  expect(withoutRestriction(restricted)).toEqual(policy);
});

test('a statement that only borrows the Sid is not taken for the restriction', () => {
  const forged = { ...policy, Statement: [...policy.Statement, { Sid: RETIRED_KEY_SID, Effect: 'Deny' as const, Principal: { AWS: '*' }, Action: 'kms:Encrypt', Resource: '*' }] };
  expect(isRestricted(forged)).toBe(false);
  expect(restrictedPolicy(forged).Statement.filter((s) => s.Sid === RETIRED_KEY_SID)).toHaveLength(1);
});

test('the default key policy names the key\'s own account and partition', () => {
  expect(defaultKeyPolicy('arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/k').Statement).toEqual([
    { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws-us-gov:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
  ]);
});

test('the diff lists statements removed and added, whatever their order or formatting', () => {
  const baseline: KeyPolicy = { Statement: [USERS, ADMINS] };
  const opened = { Sid: 'Open', Effect: 'Allow' as const, Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } };
  const current: KeyPolicy = { Statement: [ADMINS, opened] };
  expect(policyDiff(current, baseline)).toEqual({ removed: [opened], added: [USERS] });
  expect(samePolicy({ Statement: [ADMINS, USERS] }, parsePolicy(JSON.stringify({ Statement: [USERS, ADMINS] }, null, 2), 'p'))).toBe(true);
  expect(describeStatement(opened)).toBe('"Open": Allow kms:Decrypt to everyone when {"Bool":{"aws:SecureTransport":"true"}}');
  expect(describeStatement({ Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::1:root' }, NotAction: 'kms:Decrypt' })).toBe(
    'Deny everything but kms:Decrypt to everyone but AWS arn:aws:iam::1:root',
  );
});

test.each([
  ['not JSON', '{"Statement": ['],
  ['no statements', '{"Version": "2012-10-17"}'],
])('a policy that is %s is refused for good', (_, text) => {
  let failure: unknown;
  try {
    parsePolicy(text, 'aws.keyPolicyBaselines["alias/x"]');
  } catch (err) {
    failure = err;
  }
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ nonRetryable: true, type: 'MalformedPolicyDocumentException', message: expect.stringContaining('aws.keyPolicyBaselines["alias/x"]') });
});

test('a single statement object counts as a list of one', () => {
  expect(parsePolicy(JSON.stringify({ Statement: USERS }), 'p').Statement).toEqual([USERS]);
});
