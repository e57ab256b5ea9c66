import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import {
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { canonicalJson } from '../../platform/canonical-json';
import { finalFailure } from '../errors';
import { call, errorName, readOptional } from './calls';
import { parsePolicy, type KeyPolicy, type PolicyStatement } from './key-policy';
import { recordWrite } from './ledger';

/**
 * What makes a bucket or a security group reachable by anyone: S3 Block Public Access, the bucket
 * policy's statements open to every principal, and ingress rules open to 0.0.0.0/0 or ::/0. Each
 * write reads first, changes only what differs, and treats "already so" as done, so a retry after
 * a lost answer (or a worker lost mid-call) finds its change made and makes it once.
 */

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export const ALL_BLOCKED: PublicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

/** One ingress rule open to the world: what RevokeSecurityGroupIngress and its undo need. */
export interface OpenIngressRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr: '0.0.0.0/0' | '::/0';
  description?: string;
}

export interface SecurityGroupState {
  groupId: string;
  groupName: string;
  vpcId?: string;
  tags: Record<string, string>;
  openRules: OpenIngressRule[];
}

const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

export function isAllBlocked(config: PublicAccessBlock | null): boolean {
  return config !== null && canonicalJson(config) === canonicalJson(ALL_BLOCKED);
}

export async function readPublicAccessBlock(s3: S3Client, bucket: string): Promise<PublicAccessBlock | null> {
  const out = await readOptional(`s3 GetPublicAccessBlock ${bucket}`, () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })));
  const c = out?.PublicAccessBlockConfiguration;
  if (!c) return null;
  return {
    BlockPublicAcls: c.BlockPublicAcls === true,
    IgnorePublicAcls: c.IgnorePublicAcls === true,
    BlockPublicPolicy: c.BlockPublicPolicy === true,
    RestrictPublicBuckets: c.RestrictPublicBuckets === true,
  };
}

/** The bucket policy's text, or null when the bucket has none; a missing bucket is a final error. */
export async function readBucketPolicy(s3: S3Client, bucket: string): Promise<string | null> {
  try {
    const out = await readOptional(`s3 GetBucketPolicy ${bucket}`, () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket })));
    return out?.Policy ?? null;
  } catch (err) {
    if (errorName(err) === 'NoSuchBucket' || /NoSuchBucket\b/.test((err as Error).message)) {
      throw finalFailure(`S3 bucket ${bucket} does not exist; nothing was changed`, 'NoSuchBucket');
    }
    throw err;
  }
}

const principalIsEveryone = (p: unknown): boolean => {
  if (p === '*') return true;
  const aws = (p as { AWS?: unknown } | null)?.AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
};

/**
 * A statement that lets anyone in: Allow, to every principal, without a condition (a condition on
 * the source VPC, organisation or address is how a policy scopes `*`; those are left for a person).
 */
export function isPublicStatement(s: PolicyStatement): boolean {
  return s.Effect === 'Allow' && principalIsEveryone(s.Principal) && (s.Condition === undefined || Object.keys(s.Condition).length === 0);
}

/** The policy without `statements` (compared whole); null when nothing would be left. */
export function policyWithout(policy: KeyPolicy, statements: PolicyStatement[]): KeyPolicy | null {
  const drop = new Set(statements.map((s) => canonicalJson(s)));
  const kept = policy.Statement.filter((s) => !drop.has(canonicalJson(s)));
  return kept.length === 0 ? null : { ...policy, Statement: kept };
}

function openRulesOf(permissions: IpPermission[]): OpenIngressRule[] {
  const rules: OpenIngressRule[] = [];
  for (const p of permissions) {
    const base = { protocol: p.IpProtocol ?? '-1', ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}), ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}) };
    for (const r of p.IpRanges ?? []) if (r.CidrIp === '0.0.0.0/0') rules.push({ ...base, cidr: '0.0.0.0/0', ...(r.Description ? { description: r.Description } : {}) });
    for (const r of p.Ipv6Ranges ?? []) if (r.CidrIpv6 === '::/0') rules.push({ ...base, cidr: '::/0', ...(r.Description ? { description: r.Description } : {}) });
  }
  return rules;
}

export async function readSecurityGroup(ec2: EC2Client, groupId: string): Promise<SecurityGroupState> {
  const out = await call(`ec2 DescribeSecurityGroups ${groupId}`, () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })));
  const group = out.SecurityGroups?.[0];
  if (!group) throw finalFailure(`security group ${groupId} does not exist; nothing was changed`, 'InvalidGroup.NotFound');
  return {
    groupId,
    groupName: group.GroupName ?? groupId,
    ...(group.VpcId ? { vpcId: group.VpcId } : {}),
    tags: Object.fromEntries((group.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    openRules: openRulesOf(group.IpPermissions ?? []),
  };
}

const sameRule = (a: OpenIngressRule, b: OpenIngressRule) =>
  a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort && a.cidr === b.cidr;

function permissionOf(rule: OpenIngressRule): IpPermission {
  const range = rule.description ? { Description: rule.description } : {};
  return {
    IpProtocol: rule.protocol,
    ...(rule.fromPort !== undefined ? { FromPort: rule.fromPort } : {}),
    ...(rule.toPort !== undefined ? { ToPort: rule.toPort } : {}),
    ...(rule.cidr === '0.0.0.0/0' ? { IpRanges: [{ CidrIp: rule.cidr, ...range }] } : { Ipv6Ranges: [{ CidrIpv6: rule.cidr, ...range }] }),
  };
}

export function describeRule(rule: OpenIngressRule): string {
  const ports = rule.protocol === '-1' ? 'all traffic' : rule.fromPort === rule.toPort ? `${rule.protocol} port ${rule.fromPort}` : `${rule.protocol} ports ${rule.fromPort}-${rule.toPort}`;
  return `${ports} from ${rule.cidr}`;
}

export function createPublicAccessActivities(clients: { s3: S3Client; ec2: EC2Client }) {
  const { s3, ec2 } = clients;

  async function setBlock(bucket: string, want: PublicAccessBlock | null): Promise<{ changed: boolean }> {
    const before = await readPublicAccessBlock(s3, bucket);
    if (canonicalJson(before) === canonicalJson(want)) return { changed: false };
    if (want === null) {
      await call(`s3 DeletePublicAccessBlock ${bucket}`, () => s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket })));
      await recordWrite({ api: 's3:DeletePublicAccessBlock', resource: bucketArn(bucket), before, after: null });
    } else {
      await call(`s3 PutPublicAccessBlock ${bucket}`, () => s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: want })));
      await recordWrite({ api: 's3:PutPublicAccessBlock', resource: bucketArn(bucket), before, after: want });
    }
    return { changed: true };
  }

  async function setPolicy(bucket: string, before: string | null, want: string | null): Promise<void> {
    if (want === null) {
      await call(`s3 DeleteBucketPolicy ${bucket}`, () => s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket })));
      await recordWrite({ api: 's3:DeleteBucketPolicy', resource: bucketArn(bucket), before: before && JSON.parse(before), after: null });
    } else {
      await call(`s3 PutBucketPolicy ${bucket}`, () => s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: want })));
      await recordWrite({ api: 's3:PutBucketPolicy', resource: bucketArn(bucket), before: before && JSON.parse(before), after: JSON.parse(want) });
    }
  }

  return {
    /** Turn every Block Public Access setting of the bucket on (or put `config` back, on undo; null: none). */
    async setPublicAccessBlock(input: { bucket: string; config: PublicAccessBlock | null }): Promise<{ changed: boolean }> {
      return setBlock(input.bucket, input.config);
    },

    /**
     * Remove exactly these statements from the bucket policy (the whole policy goes when nothing is
     * left). The ledger record keeps the policy as it was: the evidence of what was open, and what
     * the undo puts back.
     */
    async removeBucketPolicyStatements(input: { bucket: string; statements: PolicyStatement[] }): Promise<{ removed: number; already: boolean }> {
      const text = await readBucketPolicy(s3, input.bucket);
      if (text === null) return { removed: 0, already: true };
      const policy = parsePolicy(text, `the bucket policy of ${input.bucket}`);
      const left = policyWithout(policy, input.statements);
      const removed = policy.Statement.length - (left?.Statement.length ?? 0);
      if (removed === 0) return { removed: 0, already: true };
      await setPolicy(input.bucket, text, left && JSON.stringify(left));
      return { removed, already: false };
    },

    /** Put back a bucket policy as it was (null: the bucket had none), unless it already is. */
    async restoreBucketPolicy(input: { bucket: string; policy: string | null }): Promise<{ changed: boolean }> {
      const text = await readBucketPolicy(s3, input.bucket);
      const same = text === null || input.policy === null ? text === input.policy : canonicalJson(JSON.parse(text)) === canonicalJson(JSON.parse(input.policy));
      if (same) return { changed: false };
      await setPolicy(input.bucket, text, input.policy);
      return { changed: true };
    },

    /** Add this statement to the bucket policy (one with its Sid is replaced); already there: nothing written. */
    async addBucketPolicyStatement(input: { bucket: string; statement: PolicyStatement }): Promise<{ added: boolean }> {
      const text = await readBucketPolicy(s3, input.bucket);
      const policy: KeyPolicy = text === null ? { Version: '2012-10-17', Statement: [] } : parsePolicy(text, `the bucket policy of ${input.bucket}`);
      if (policy.Statement.some((s) => canonicalJson(s) === canonicalJson(input.statement))) return { added: false };
      const next = { ...policy, Statement: [...policy.Statement.filter((s) => s.Sid !== input.statement.Sid), input.statement] };
      await setPolicy(input.bucket, text, JSON.stringify(next));
      return { added: true };
    },

    /** The undo of addBucketPolicyStatement: the statement with this Sid goes (the policy with it, if it was alone). */
    async removeBucketPolicyStatement(input: { bucket: string; sid: string }): Promise<{ removed: boolean }> {
      const text = await readBucketPolicy(s3, input.bucket);
      if (text === null) return { removed: false };
      const policy = parsePolicy(text, `the bucket policy of ${input.bucket}`);
      const kept = policy.Statement.filter((s) => s.Sid !== input.sid);
      if (kept.length === policy.Statement.length) return { removed: false };
      await setPolicy(input.bucket, text, kept.length === 0 ? null : JSON.stringify({ ...policy, Statement: kept }));
      return { removed: true };
    },

    /** Revoke these world-open rules; a rule already gone counts as revoked. */
    async revokeOpenIngress(input: { groupId: string; rules: OpenIngressRule[] }): Promise<{ revoked: number; absent: number }> {
      const state = await readSecurityGroup(ec2, input.groupId);
      const present = input.rules.filter((r) => state.openRules.some((o) => sameRule(o, r)));
      if (present.length > 0) {
        await call(`ec2 RevokeSecurityGroupIngress ${input.groupId}`, () =>
          ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: input.groupId, IpPermissions: present.map(permissionOf) })),
        );
        await recordWrite({ api: 'ec2:RevokeSecurityGroupIngress', resource: input.groupId, before: state.openRules, after: state.openRules.filter((o) => !present.some((r) => sameRule(o, r))) });
      }
      return { revoked: present.length, absent: input.rules.length - present.length };
    },

    /** The undo: authorise the rules again; a rule already there counts as restored. */
    async restoreOpenIngress(input: { groupId: string; rules: OpenIngressRule[] }): Promise<{ restored: number; already: number }> {
      const state = await readSecurityGroup(ec2, input.groupId);
      const missing = input.rules.filter((r) => !state.openRules.some((o) => sameRule(o, r)));
      if (missing.length > 0) {
        await call(`ec2 AuthorizeSecurityGroupIngress ${input.groupId}`, () =>
          ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: input.groupId, IpPermissions: missing.map(permissionOf) })),
        );
        await recordWrite({ api: 'ec2:AuthorizeSecurityGroupIngress', resource: input.groupId, before: state.openRules, after: [...state.openRules, ...missing] });
      }
      return { restored: missing.length, already: input.rules.length - missing.length };
    },
  };
}
