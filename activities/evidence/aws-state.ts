import { paginateLookupEvents, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import {
  GetUserCommand,
  GetUserPolicyCommand,
  paginateListAccessKeys,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetIPSetCommand, type WAFV2Client } from '@aws-sdk/client-wafv2';
import { collectPages } from '../aws/calls';
import { classify } from '../errors';

/**
 * Read-only views of the AWS state a containment step acts on, as evidence. A resource that does
 * not exist is recorded as absent (that is a fact worth keeping); other errors are classified.
 */
export interface EvidenceAwsClients {
  iam: IAMClient;
  kms: KMSClient;
  waf: WAFV2Client;
  cloudTrail?: CloudTrailClient;
}

const ABSENT = new Set(['NoSuchEntity', 'NoSuchEntityException', 'NotFoundException', 'WAFNonexistentItemException']);

async function read<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (ABSENT.has((err as { name?: string }).name ?? '')) return undefined;
    classify(err, what);
  }
}

/** The SDK's response metadata (request ids, retry counts) differs per call and is not state. */
function strip<T extends object>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _ignored, ...rest } = out as T & { $metadata?: unknown };
  return rest;
}

export async function iamUserState(iam: IAMClient, userName: string) {
  const user = await read(`iam GetUser ${userName}`, () => iam.send(new GetUserCommand({ UserName: userName })));
  if (!user) return { userName, exists: false };
  const accessKeys = await collectPages('iam ListAccessKeys', paginateListAccessKeys({ client: iam }, { UserName: userName }), (page) => page.AccessKeyMetadata);
  const inlineNames = await iam.send(new ListUserPoliciesCommand({ UserName: userName })).catch((e) => classify(e, 'iam ListUserPolicies'));
  const inline = [];
  for (const name of inlineNames.PolicyNames ?? []) {
    const policy = await read(`iam GetUserPolicy ${name}`, () => iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: name })));
    if (policy) inline.push({ name, document: decodeURIComponent(policy.PolicyDocument ?? '') });
  }
  const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName })).catch((e) => classify(e, 'iam ListAttachedUserPolicies'));
  return {
    userName,
    exists: true,
    user: strip(user).User,
    accessKeys,
    inlinePolicies: inline,
    attachedPolicies: attached.AttachedPolicies ?? [],
  };
}

export async function kmsKeyState(kms: KMSClient, keyId: string) {
  const key = await read(`kms DescribeKey ${keyId}`, () => kms.send(new DescribeKeyCommand({ KeyId: keyId })));
  if (!key) return { keyId, exists: false };
  const policy = await read(`kms GetKeyPolicy ${keyId}`, () => kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })));
  const rotation = await read(`kms GetKeyRotationStatus ${keyId}`, () => kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId })));
  return { keyId, exists: true, metadata: key.KeyMetadata, policy: policy?.Policy, rotationEnabled: rotation?.KeyRotationEnabled };
}

export async function wafIpSetState(waf: WAFV2Client, ipSet: { name: string; id: string; scope: 'REGIONAL' | 'CLOUDFRONT' }) {
  const out = await read(`wafv2 GetIPSet ${ipSet.name}`, () => waf.send(new GetIPSetCommand({ Name: ipSet.name, Id: ipSet.id, Scope: ipSet.scope })));
  if (!out) return { ...ipSet, exists: false };
  return { ...ipSet, exists: true, ipSet: out.IPSet, lockToken: out.LockToken };
}

export async function cloudTrailEvents(cloudTrail: CloudTrailClient, userName: string, since: Date, until: Date) {
  const lookup = { LookupAttributes: [{ AttributeKey: 'Username' as const, AttributeValue: userName }], StartTime: since, EndTime: until };
  const events = await collectPages('cloudtrail LookupEvents', paginateLookupEvents({ client: cloudTrail }, lookup), (page) => page.Events, 1_000);
  return { userName, since: since.toISOString(), until: until.toISOString(), events };
}
