/**
 * Principals as AWS writes them: one row per ARN shape (malformed ones are `unknown`, never an
 * exception), AWS's identity type words, and the subject fields a source's facts become.
 */
import fc from 'fast-check';
import { parsePrincipalArn, principalFields, principalTypeFrom, withPrincipalType } from '../../domain/principal';

describe('principal ARNs', () => {
  test.each([
    ['IAM user', 'arn:aws:iam::123456789012:user/svc-export', { type: 'iam-user', name: 'svc-export', accountId: '123456789012' }],
    ['IAM user with a path', 'arn:aws:iam::123456789012:user/ops/batch/svc-export', { type: 'iam-user', name: 'svc-export', accountId: '123456789012' }],
    ['IAM user, name with + = , . @ -', 'arn:aws:iam::123456789012:user/j.doe+ops=1,x@example-co', { type: 'iam-user', name: 'j.doe+ops=1,x@example-co', accountId: '123456789012' }],
    ['role session of an EC2 instance role', 'arn:aws:sts::123456789012:assumed-role/patient-api-instance/i-0abc12345def67890', { type: 'assumed-role', name: 'patient-api-instance', accountId: '123456789012', sessionName: 'i-0abc12345def67890' }],
    ['role session of a person', 'arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com', { type: 'assumed-role', name: 'Admin', accountId: '123456789012', sessionName: 'alice@example.com' }],
    ['role (all its sessions)', 'arn:aws:iam::123456789012:role/service/patient-api-instance', { type: 'assumed-role', name: 'patient-api-instance', accountId: '123456789012' }],
    ['federated user', 'arn:aws:sts::123456789012:federated-user/partner-portal', { type: 'federated-user', name: 'partner-portal', accountId: '123456789012' }],
    ['root', 'arn:aws:iam::123456789012:root', { type: 'root', name: 'root', accountId: '123456789012' }],
    ['GovCloud partition', 'arn:aws-us-gov:iam::123456789012:user/svc', { type: 'iam-user', name: 'svc', accountId: '123456789012' }],
    ['China partition', 'arn:aws-cn:sts::123456789012:assumed-role/r/s1', { type: 'assumed-role', name: 'r', accountId: '123456789012', sessionName: 's1' }],
    ['account id too short', 'arn:aws:iam::12345:user/svc', { type: 'unknown' }],
    ['region where IAM has none', 'arn:aws:iam:us-east-1:123456789012:user/svc', { type: 'unknown' }],
    ['other service', 'arn:aws:s3:::patient-exports', { type: 'unknown' }],
    ['KMS key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', { type: 'unknown' }],
    ['unknown partition', 'arn:gcp:iam::123456789012:user/svc', { type: 'unknown' }],
    ['user without a name', 'arn:aws:iam::123456789012:user/', { type: 'unknown' }],
    ['user name with a space', 'arn:aws:iam::123456789012:user/svc export', { type: 'unknown' }],
    ['assumed role without a session', 'arn:aws:sts::123456789012:assumed-role/patient-api-instance', { type: 'unknown' }],
    ['assumed role with one extra segment', 'arn:aws:sts::123456789012:assumed-role/r/s/extra', { type: 'unknown' }],
    ['one-character session name', 'arn:aws:sts::123456789012:assumed-role/r/s', { type: 'unknown' }],
    ['federated user without a name', 'arn:aws:sts::123456789012:federated-user/', { type: 'unknown' }],
    ['root with a path', 'arn:aws:iam::123456789012:root/x', { type: 'unknown' }],
    ['group (not a principal)', 'arn:aws:iam::123456789012:group/admins', { type: 'unknown' }],
    ['IAM role written as an STS ARN', 'arn:aws:sts::123456789012:role/r', { type: 'unknown' }],
    ['a bare name', 'svc-export', { type: 'unknown' }],
    ['empty', '', { type: 'unknown' }],
    ['only the prefix', 'arn:aws:iam::', { type: 'unknown' }],
  ])('%s', (_, arn, expected) => {
    expect(parsePrincipalArn(arn)).toEqual(expected);
  });

  test('any text at all parses to a type without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `arn:aws:iam::123456789012:${s}`), fc.string().map((s) => `arn:aws:sts::123456789012:${s}`)), (text) => {
        const parsed = parsePrincipalArn(text);
        expect(['iam-user', 'assumed-role', 'federated-user', 'root', 'unknown']).toContain(parsed.type);
        if (parsed.type !== 'unknown') expect(parsed.name).toMatch(/^[\w+=,.@-]+$/);
      }),
    );
  });
});

test.each([
  ['IAMUser', 'iam-user'],
  ['AssumedRole', 'assumed-role'],
  ['Role', 'assumed-role'],
  ['FederatedUser', 'federated-user'],
  ['Root', 'root'],
  ['AWSService', 'aws-service'],
  ['iam-user', 'iam-user'],
  ['AWSAccount', 'unknown'],
  ['IdentityCenterUser', 'unknown'],
  ['constructor', 'unknown'],
  ['', 'unknown'],
  [undefined, 'unknown'],
])('type word %p is %p', (word, type) => {
  expect(principalTypeFrom(word)).toBe(type);
});

describe('subject fields from what a source says', () => {
  test.each([
    ['GuardDuty IAM user', { name: 'svc-export', type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', accountId: '123456789012' }, { principal: 'svc-export', principalType: 'iam-user', accountId: '123456789012' }],
    [
      'GuardDuty EC2 instance role session',
      { name: 'patient-api-instance', type: 'AssumedRole', principalId: 'AROAQ3EGVZK7EXAMPLE2:i-0abc12345def67890', accountId: '123456789012' },
      { principal: 'patient-api-instance', principalType: 'assumed-role', sessionName: 'i-0abc12345def67890', accountId: '123456789012' },
    ],
    ['GuardDuty root', { name: 'Root', type: 'Root', principalId: '123456789012', accountId: '123456789012' }, { principal: 'Root', principalType: 'root', accountId: '123456789012' }],
    ['GuardDuty root without a name', { type: 'Root', principalId: '123456789012' }, { principal: 'root', principalType: 'root', accountId: '123456789012' }],
    ['federated user named only by its principal id', { type: 'FederatedUser', principalId: '123456789012:partner-portal' }, { principal: 'partner-portal', principalType: 'federated-user', accountId: '123456789012' }],
    ['a name only', { name: 'svc-export' }, { principal: 'svc-export', principalType: 'unknown' }],
    [
      'an ARN as the name',
      { name: 'arn:aws:sts::123456789012:assumed-role/etl/nightly' },
      { principal: 'etl', principalType: 'assumed-role', principalArn: 'arn:aws:sts::123456789012:assumed-role/etl/nightly', sessionName: 'nightly', accountId: '123456789012' },
    ],
    ['a malformed ARN as the name stays as given', { name: 'arn:aws:iam::12345:user/x' }, { principal: 'arn:aws:iam::12345:user/x', principalType: 'unknown' }],
    ['the ARN decides over the type word', { name: 'x', arn: 'arn:aws:iam::123456789012:user/svc', type: 'AssumedRole' }, { principal: 'svc', principalType: 'iam-user', principalArn: 'arn:aws:iam::123456789012:user/svc', accountId: '123456789012' }],
    ['a malformed account id is dropped', { name: 'svc', type: 'IAMUser', accountId: '12-34' }, { principal: 'svc', principalType: 'iam-user' }],
    ['empty strings say nothing', { name: '', type: '', principalId: '' }, {}],
    ['no principal, no fields (an account alone is not a principal)', { accountId: '123456789012' }, {}],
  ])('%s', (_, facts, expected) => {
    expect(principalFields(facts)).toEqual(expected);
  });

  test('withPrincipalType fills the type (and parses an ARN) only where it is missing', () => {
    expect(withPrincipalType({ principal: 'svc' })).toEqual({ principal: 'svc', principalType: 'unknown' });
    expect(withPrincipalType({ principal: 'svc', principalType: 'iam-user' })).toEqual({ principal: 'svc', principalType: 'iam-user' });
    expect(withPrincipalType({ principal: 'arn:aws:iam::123456789012:root', ips: ['203.0.113.9'] })).toEqual({
      principal: 'root',
      principalType: 'root',
      principalArn: 'arn:aws:iam::123456789012:root',
      accountId: '123456789012',
      ips: ['203.0.113.9'],
    });
    expect(withPrincipalType({ service: 'patient-api' })).toEqual({ service: 'patient-api' });
  });
});
