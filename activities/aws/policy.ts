import type { AccessTarget } from '../../domain/access';
import type { AwsSettings } from './clients';

/**
 * The least-privilege IAM policy the worker needs for the AWS playbooks: exactly the API calls the
 * activities make, scoped to the resources they touch where IAM allows it. The integration tests
 * record every call the playbooks make and check each is granted here.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
}

export const WORKER_ACTIONS = {
  iamRead: ['iam:GetUser', 'iam:ListAccessKeys', 'iam:GetLoginProfile', 'iam:GetUserPolicy', 'iam:GetRole', 'iam:GetRolePolicy'],
  iamContain: [
    'iam:UpdateAccessKey',
    'iam:DeleteAccessKey',
    'iam:DeleteLoginProfile',
    'iam:PutUserPolicy',
    'iam:PutRolePolicy',
    // the undo of a session revocation
    'iam:DeleteUserPolicy',
    'iam:DeleteRolePolicy',
  ],
  // rotateAccessKey: a new key beside the leaked one, its first use read back; a key a lost attempt
  // made (its secret lost with it) is deleted with iam:DeleteAccessKey above
  iamRotate: ['iam:CreateAccessKey', 'iam:GetAccessKeyLastUsed'],
  // the secret a service reads its key from: a new version staged, promoted, put back by the undo;
  // rotateSecret asks a secret's own rotation function (Secrets Manager invokes it, not the worker)
  secrets: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:RotateSecret'],
  // revokeCredentials with `cognito`: the API's user read, then signed out everywhere
  cognito: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminUserGlobalSignOut'],
  kmsKey: [
    'kms:DescribeKey',
    'kms:GetKeyRotationStatus',
    'kms:ListKeyRotations',
    'kms:RotateKeyOnDemand',
    'kms:ScheduleKeyDeletion',
    'kms:CreateAlias',
    'kms:UpdateAlias',
    'kms:ListResourceTags',
  ],
  kmsAccount: ['kms:CreateKey', 'kms:ListAliases', 'kms:ListKeys', 'kms:TagResource'],
  // rotateKey retires the old key (policy), revokeKeyAccess restores a baseline and revokes
  // grants; the undos put back policies, re-create grants, enable keys and cancel deletions.
  kmsAccess: [
    'kms:GetKeyPolicy',
    'kms:PutKeyPolicy',
    'kms:ListGrants',
    'kms:RevokeGrant',
    'kms:CreateGrant',
    'kms:DisableKey',
    'kms:EnableKey',
    'kms:CancelKeyDeletion',
  ],
  // a retired key is deleted only after CloudTrail shows it unused for aws.keyRetirement.unusedFor
  keyUsage: ['cloudtrail:LookupEvents'],
  waf: ['wafv2:GetIPSet', 'wafv2:UpdateIPSet'],
  // closePublicAccess and its undo: Block Public Access and the bucket policy of an exposed bucket
  s3PublicAccess: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
  // ingress open to the world, on a PHI service's security group
  ec2Read: ['ec2:DescribeSecurityGroups'],
  ec2Ingress: ['ec2:RevokeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupIngress'],
  // protectDataStore: the writer's deny (bucket policy, above), the versions as evidence, database snapshots
  s3Versions: ['s3:ListBucketVersions'],
  rdsSnapshot: ['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:AddTagsToResource'],
  // snapshotEvidence reads the subject's state before and after acting
  evidenceIam: ['iam:ListUserPolicies', 'iam:ListAttachedUserPolicies'],
  evidenceKms: ['kms:GetKeyPolicy'],
  cloudTrail: ['cloudtrail:LookupEvents'],
  evidenceS3: ['s3:PutObject', 's3:GetObject', 's3:ListBucket'],
  codecKms: ['kms:GenerateDataKey', 'kms:Decrypt'],
  // break-glass access (access.profiles): group membership and role trust, read before written
  accessGroups: ['iam:GetGroup', 'iam:AddUserToGroup', 'iam:RemoveUserFromGroup'],
  accessRoles: ['iam:GetRole', 'iam:UpdateAssumeRolePolicy'],
  // IAM Identity Center account assignments (asynchronous: their status is asked for)
  accessSso: [
    'sso:ListAccountAssignments',
    'sso:CreateAccountAssignment',
    'sso:DeleteAccountAssignment',
    'sso:DescribeAccountAssignmentCreationStatus',
    'sso:DescribeAccountAssignmentDeletionStatus',
  ],
} as const;

/** What else the configuration makes the worker do in AWS. */
export interface PolicyExtras {
  evidenceBucket?: string;
  cloudTrail?: boolean;
  codecKmsKeyId?: string;
  /** what the break-glass profiles grant (access.profiles) */
  access?: AccessTarget[];
}

/** The statements of the break-glass profiles, scoped to their groups, roles and permission sets. */
function accessStatements(targets: AccessTarget[], account: string): PolicyStatement[] {
  const groups = targets.flatMap((t) => (t.type === 'iamGroup' ? [`arn:aws:iam::${account}:group/${t.group}`] : []));
  const roles = targets.flatMap((t) => (t.type === 'roleTrust' ? [`arn:aws:iam::${account}:role/${t.role}`] : []));
  const sets = targets.flatMap((t) => (t.type === 'permissionSet' ? [t.instanceArn, t.permissionSetArn, `arn:aws:sso:::account/${t.accountId}`] : []));
  return [
    ...(groups.length > 0 ? [{ Sid: 'BreakGlassGroups', Effect: 'Allow' as const, Action: [...WORKER_ACTIONS.accessGroups], Resource: [...new Set(groups)] }] : []),
    ...(roles.length > 0 ? [{ Sid: 'BreakGlassRoleTrust', Effect: 'Allow' as const, Action: [...WORKER_ACTIONS.accessRoles], Resource: [...new Set(roles)] }] : []),
    // Identity Center provisions the permission set's role in the member account itself (a service-linked action).
    ...(sets.length > 0 ? [{ Sid: 'BreakGlassPermissionSets', Effect: 'Allow' as const, Action: [...WORKER_ACTIONS.accessSso], Resource: [...new Set(sets)] }] : []),
  ];
}

export function workerIamPolicy(settings: AwsSettings, account = '*', extras: PolicyExtras = {}): { Version: string; Statement: PolicyStatement[] } {
  const region = settings.region;
  const ipSet = settings.wafIpSet;
  const ipSetArn = ipSet
    ? ipSet.scope === 'CLOUDFRONT'
      ? `arn:aws:wafv2:us-east-1:${account}:global/ipset/${ipSet.name}/${ipSet.id}`
      : `arn:aws:wafv2:${region}:${account}:regional/ipset/${ipSet.name}/${ipSet.id}`
    : `arn:aws:wafv2:*:${account}:*/ipset/*/*`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadPrincipals', Effect: 'Allow', Action: [...WORKER_ACTIONS.iamRead], Resource: [`arn:aws:iam::${account}:user/*`, `arn:aws:iam::${account}:role/*`] },
      {
        Sid: 'ContainPrincipals',
        Effect: 'Allow',
        Action: [...WORKER_ACTIONS.iamContain],
        Resource: [`arn:aws:iam::${account}:user/*`, `arn:aws:iam::${account}:role/*`],
      },
      { Sid: 'RotateAccessKeys', Effect: 'Allow', Action: [...WORKER_ACTIONS.iamRotate], Resource: `arn:aws:iam::${account}:user/*` },
      { Sid: 'SignOutUserPoolUsers', Effect: 'Allow', Action: [...WORKER_ACTIONS.cognito], Resource: `arn:aws:cognito-idp:${region}:${account}:userpool/*` },
      { Sid: 'RotateSecrets', Effect: 'Allow', Action: [...WORKER_ACTIONS.secrets], Resource: `arn:aws:secretsmanager:${region}:${account}:secret:*` },
      {
        Sid: 'RotateKeys',
        Effect: 'Allow',
        Action: [...WORKER_ACTIONS.kmsKey],
        Resource: [`arn:aws:kms:${region}:${account}:key/*`, `arn:aws:kms:${region}:${account}:alias/*`],
      },
      {
        Sid: 'RetireAndRevokeKeys',
        Effect: 'Allow',
        Action: [...WORKER_ACTIONS.kmsAccess],
        Resource: `arn:aws:kms:${region}:${account}:key/*`,
      },
      // LookupEvents takes no resource.
      { Sid: 'WatchRetiredKeys', Effect: 'Allow', Action: [...WORKER_ACTIONS.keyUsage], Resource: '*' },
      // CreateKey, ListAliases and ListKeys take no resource; TagResource is only needed while creating.
      { Sid: 'CreateReplacementKeys', Effect: 'Allow', Action: [...WORKER_ACTIONS.kmsAccount], Resource: '*' },
      { Sid: 'EditBlockList', Effect: 'Allow', Action: [...WORKER_ACTIONS.waf], Resource: ipSetArn },
      { Sid: 'ClosePublicBuckets', Effect: 'Allow', Action: [...WORKER_ACTIONS.s3PublicAccess], Resource: 'arn:aws:s3:::*' },
      { Sid: 'CountObjectVersions', Effect: 'Allow', Action: [...WORKER_ACTIONS.s3Versions], Resource: 'arn:aws:s3:::*' },
      {
        Sid: 'SnapshotDatabases',
        Effect: 'Allow',
        Action: [...WORKER_ACTIONS.rdsSnapshot],
        Resource: [`arn:aws:rds:${region}:${account}:db:*`, `arn:aws:rds:${region}:${account}:cluster:*`, `arn:aws:rds:${region}:${account}:snapshot:*`, `arn:aws:rds:${region}:${account}:cluster-snapshot:*`],
      },
      // DescribeSecurityGroups takes no resource.
      { Sid: 'ReadSecurityGroups', Effect: 'Allow', Action: [...WORKER_ACTIONS.ec2Read], Resource: '*' },
      { Sid: 'CloseOpenIngress', Effect: 'Allow', Action: [...WORKER_ACTIONS.ec2Ingress], Resource: `arn:aws:ec2:${region}:${account}:security-group/*` },
      { Sid: 'EvidenceReadPrincipals', Effect: 'Allow', Action: [...WORKER_ACTIONS.evidenceIam], Resource: `arn:aws:iam::${account}:user/*` },
      { Sid: 'EvidenceReadKeys', Effect: 'Allow', Action: [...WORKER_ACTIONS.evidenceKms], Resource: `arn:aws:kms:${region}:${account}:key/*` },
      ...(extras.cloudTrail ? [{ Sid: 'EvidenceCloudTrail', Effect: 'Allow' as const, Action: [...WORKER_ACTIONS.cloudTrail], Resource: '*' }] : []),
      ...(extras.evidenceBucket
        ? [
            {
              Sid: 'EvidenceStore',
              Effect: 'Allow' as const,
              Action: [...WORKER_ACTIONS.evidenceS3],
              Resource: [`arn:aws:s3:::${extras.evidenceBucket}`, `arn:aws:s3:::${extras.evidenceBucket}/*`],
            },
          ]
        : []),
      ...(extras.codecKmsKeyId
        ? [{ Sid: 'PayloadDataKeys', Effect: 'Allow' as const, Action: [...WORKER_ACTIONS.codecKms], Resource: extras.codecKmsKeyId.startsWith('arn:') ? extras.codecKmsKeyId : `arn:aws:kms:${region}:${account}:key/${extras.codecKmsKeyId}` }]
        : []),
      ...accessStatements(extras.access ?? [], account),
    ],
  };
}

/**
 * The IAM action that authorises an SDK command, where its name is not the command's: S3's Block
 * Public Access calls are authorised as bucket actions, and deleting the setting is a put.
 */
const ACTION_OF_COMMAND: Record<string, string> = {
  's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3:DeletePublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3:HeadBucket': 's3:ListBucket',
  's3:ListObjectVersions': 's3:ListBucketVersions',
};

/** `s3:PutPublicAccessBlock` (service and command) to the IAM action it needs. */
export function iamActionOf(serviceCommand: string): string {
  return ACTION_OF_COMMAND[serviceCommand] ?? serviceCommand;
}

/** Every action the policy grants, for checking a recorded call list against it. */
export function grantedActions(policy: { Statement: PolicyStatement[] }): Set<string> {
  return new Set(policy.Statement.flatMap((s) => s.Action));
}
