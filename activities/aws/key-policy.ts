import { canonicalJson } from '../../platform/canonical-json';
import { finalFailure } from '../errors';

/**
 * KMS key policies as data: the restriction that retires a replaced key, the KMS default policy,
 * and the statement-level difference a plan shows. Pure functions; the activities read and write.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, unknown>;
}

export interface KeyPolicy {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}

/** The statement a retired key carries; its Sid finds it again (idempotency, undo). */
export const RETIRED_KEY_SID = 'TourniquetRetiredKeyNoNewCiphertext';

/**
 * Every operation that makes something new under the key. Decrypt, ReEncryptFrom, Verify,
 * VerifyMac, GetPublicKey, DescribeKey and GetKeyPolicy are not here: existing ciphertexts and
 * signatures stay usable. CreateGrant is not denied either: AWS services (EBS, RDS) need a grant
 * to decrypt what they already hold, and this explicit deny overrides any grant's Encrypt.
 */
export const NEW_CIPHERTEXT_ACTIONS = [
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:ReEncryptTo',
  'kms:Sign',
  'kms:GenerateMac',
] as const;

export function parsePolicy(text: string, what: string): KeyPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw finalFailure(`${what} is not JSON: ${(err as Error).message}`, 'MalformedPolicyDocumentException');
  }
  const statements = (parsed as { Statement?: unknown })?.Statement;
  if (typeof parsed !== 'object' || parsed === null || statements === undefined) {
    throw finalFailure(`${what} has no Statement`, 'MalformedPolicyDocumentException');
  }
  // IAM accepts a single statement object as well as a list.
  return { ...(parsed as KeyPolicy), Statement: Array.isArray(statements) ? statements : [statements as PolicyStatement] };
}

export function retiredKeyStatement(): PolicyStatement {
  return { Sid: RETIRED_KEY_SID, Effect: 'Deny', Principal: { AWS: '*' }, Action: [...NEW_CIPHERTEXT_ACTIONS], Resource: '*' };
}

/** Every statement of the policy kept as it is, plus the deny on new ciphertext (once). */
export function restrictedPolicy(policy: KeyPolicy): KeyPolicy {
  return { ...policy, Statement: [...policy.Statement.filter((s) => s.Sid !== RETIRED_KEY_SID), retiredKeyStatement()] };
}

/** The policy as it was before `restrictedPolicy`. */
export function withoutRestriction(policy: KeyPolicy): KeyPolicy {
  return { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== RETIRED_KEY_SID) };
}

export function isRestricted(policy: KeyPolicy): boolean {
  const ours = policy.Statement.find((s) => s.Sid === RETIRED_KEY_SID);
  return ours !== undefined && canonicalJson(ours) === canonicalJson(retiredKeyStatement());
}

/**
 * The policy KMS gives a key created through the API without one: the account may use and manage
 * the key through IAM policies, nobody else through the key policy.
 */
export function defaultKeyPolicy(keyArn: string): KeyPolicy {
  const [, partition, , , account] = keyArn.split(':');
  return {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
    ],
  };
}

/** Same statements (in any order, whatever the formatting): the policies grant alike. */
export function samePolicy(a: KeyPolicy, b: KeyPolicy): boolean {
  const key = (p: KeyPolicy) => p.Statement.map((s) => canonicalJson(s)).sort().join('\n');
  return key(a) === key(b);
}

/** Statements in `from` but not in `to` (removed), and in `to` but not in `from` (added). */
export function policyDiff(from: KeyPolicy, to: KeyPolicy): { removed: PolicyStatement[]; added: PolicyStatement[] } {
  const has = (p: KeyPolicy, s: PolicyStatement) => p.Statement.some((t) => canonicalJson(t) === canonicalJson(s));
  return { removed: from.Statement.filter((s) => !has(to, s)), added: to.Statement.filter((s) => !has(from, s)) };
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function principals(p: unknown): string {
  if (p === '*') return 'everyone';
  if (typeof p !== 'object' || p === null) return String(p);
  return Object.entries(p as Record<string, string | string[]>)
    .map(([kind, who]) => `${kind} ${list(who).join(', ')}`)
    .join('; ');
}

/** One line for people: `"Sid": Allow kms:Decrypt to AWS arn:… (with conditions)`. */
export function describeStatement(s: PolicyStatement): string {
  const name = s.Sid ? `"${s.Sid}": ` : '';
  const actions = s.Action !== undefined ? list(s.Action).join(', ') : `everything but ${list(s.NotAction).join(', ')}`;
  const who = s.Principal !== undefined ? principals(s.Principal) : `everyone but ${principals(s.NotPrincipal)}`;
  const condition = s.Condition ? ` when ${canonicalJson(s.Condition)}` : '';
  return `${name}${s.Effect} ${actions} to ${who}${condition}`;
}
