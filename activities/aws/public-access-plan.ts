import type { StepInput } from '../step';
import { finalFailure } from '../errors';
import type { AwsClients } from './clients';
import { describeStatement, parsePolicy, type PolicyStatement } from './key-policy';
import { ClosePublicAccessParams, parseParams } from './params';
import {
  ALL_BLOCKED,
  describeRule,
  isAllBlocked,
  isPublicStatement,
  policyWithout,
  readBucketPolicy,
  readPublicAccessBlock,
  readSecurityGroup,
  type OpenIngressRule,
  type PublicAccessBlock,
} from './public-access';

/**
 * closePublicAccess: the plan for a bucket or security group a posture finding says is open to
 * the world, read from their current state. Nothing here writes.
 */
export interface PublicAccessPlan {
  bucket: {
    name: string;
    /** Block Public Access now (null: none set), and what it becomes (null: left as it is) */
    blockBefore: PublicAccessBlock | null;
    blockAfter: PublicAccessBlock | null;
    /** the bucket policy now (null: none): the evidence of what was open, and what the undo puts back */
    policyBefore: string | null;
    /** the statements removed; empty when none is public or removal was not asked */
    publicStatements: PolicyStatement[];
    /** statements the policy keeps (0: the policy is deleted) */
    keptStatements: number;
    removeAsked: boolean;
  } | null;
  securityGroup: {
    groupId: string;
    groupName: string;
    phiTag: string;
    /** tagged as a PHI service's: only then is its ingress revoked */
    phi: boolean;
    /** every rule open to the world now */
    openRules: OpenIngressRule[];
    /** what this step revokes */
    toRevoke: OpenIngressRule[];
    revokeAsked: boolean;
  } | null;
}

type PlanRequest = Pick<StepInput, 'incidentId' | 'stepId' | 'params'>;

export async function prepareClosePublicAccess(deps: { aws: AwsClients }, request: PlanRequest): Promise<PublicAccessPlan> {
  const params = parseParams(ClosePublicAccessParams, 'closePublicAccess', request.params);
  if (!params.bucket && !params.securityGroupId) {
    throw finalFailure('closePublicAccess: the step names no bucket and no security group (the alert gave neither); nothing was changed', 'ValidationError');
  }
  let bucket: PublicAccessPlan['bucket'] = null;
  if (params.bucket) {
    const policyBefore = await readBucketPolicy(deps.aws.s3, params.bucket);
    const blockBefore = await readPublicAccessBlock(deps.aws.s3, params.bucket);
    const policy = policyBefore === null ? null : parsePolicy(policyBefore, `the bucket policy of ${params.bucket}`);
    const publicStatements = params.removePublicStatements && policy ? policy.Statement.filter(isPublicStatement) : [];
    bucket = {
      name: params.bucket,
      blockBefore,
      blockAfter: params.blockPublicAccess && !isAllBlocked(blockBefore) ? ALL_BLOCKED : null,
      policyBefore,
      publicStatements,
      keptStatements: policy ? (policyWithout(policy, publicStatements)?.Statement.length ?? 0) : 0,
      removeAsked: params.removePublicStatements,
    };
  }
  let securityGroup: PublicAccessPlan['securityGroup'] = null;
  if (params.securityGroupId) {
    const group = await readSecurityGroup(deps.aws.ec2, params.securityGroupId);
    const phi = group.tags[params.phiTag.key] === params.phiTag.value;
    securityGroup = {
      groupId: group.groupId,
      groupName: group.groupName,
      phiTag: `${params.phiTag.key}=${params.phiTag.value}`,
      phi,
      openRules: group.openRules,
      toRevoke: params.revokeOpenIngress && phi ? group.openRules : [],
      revokeAsked: params.revokeOpenIngress,
    };
  }
  return { bucket, securityGroup };
}

const settings = (c: PublicAccessBlock | null) =>
  c === null ? 'none set' : Object.entries(c).map(([k, v]) => `${k}=${String(v)}`).join(', ');

export function describeClosePublicAccess(plan: PublicAccessPlan): { lines: string[]; changes: unknown } {
  const lines: string[] = [];
  const b = plan.bucket;
  if (b) {
    const name = `S3 bucket ${b.name}`;
    if (b.blockAfter) lines.push(`turn on all four S3 Block Public Access settings of ${name} (now: ${settings(b.blockBefore)})`);
    else if (isAllBlocked(b.blockBefore)) lines.push(`S3 Block Public Access of ${name} is already fully on`);
    else lines.push(`leave S3 Block Public Access of ${name} as it is (${settings(b.blockBefore)})`);
    if (!b.removeAsked) lines.push(`leave the bucket policy of ${name} as it is`);
    else if (b.policyBefore === null) lines.push(`${name} has no bucket policy`);
    else if (b.publicStatements.length === 0) lines.push(`the bucket policy of ${name} has no statement open to everyone`);
    else {
      lines.push(`remove from the bucket policy of ${name} (the policy now is kept as evidence on the ledger, and put back by the undo):`);
      for (const s of b.publicStatements) lines.push(`  - ${describeStatement(s)}`);
      lines.push(b.keptStatements > 0 ? `  keep its ${b.keptStatements} other statement(s)` : '  no statement is left: delete the bucket policy');
    }
  }
  const g = plan.securityGroup;
  if (g) {
    const group = `security group ${g.groupId} (${g.groupName})`;
    if (g.openRules.length === 0) lines.push(`${group} has no ingress open to the world`);
    else if (!g.revokeAsked) lines.push(`leave the ${g.openRules.length} world-open ingress rule(s) of ${group} as they are`);
    else if (!g.phi) {
      lines.push(`${group} is not tagged ${g.phiTag} (not a PHI service): its world-open ingress (${g.openRules.map(describeRule).join('; ')}) is left for a person to judge`);
    } else for (const r of g.toRevoke) lines.push(`revoke ingress ${describeRule(r)} on ${group} (re-authorised by the undo)`);
  }
  return { lines, changes: plan };
}
