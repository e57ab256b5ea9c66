import type { AlertSubject, PrincipalType } from './alert';

/**
 * Who an AWS alert is about, read the way AWS writes it: principal ARNs and the identity type
 * words of GuardDuty (`accessKeyDetails.userType`) and CloudTrail (`userIdentity.type`). One
 * parser for every alert source, the runbook dry run and the revocation planner. Pure, so workflow
 * code may import it; malformed input is `unknown`, never an exception.
 */

/** IAM user, role and federated user names (and path segments): AWS's documented alphabet. */
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ACCOUNT = /^\d{12}$/;
const PRINCIPAL_ARN = /^arn:(aws(?:-[a-z]+)*):(iam|sts)::(\d{12}):(.+)$/;

export const isIamName = (text: string): boolean => IAM_NAME.test(text);
export const isAccountId = (text: string): boolean => ACCOUNT.test(text);

export interface ParsedPrincipal {
  type: PrincipalType;
  /** user, role or federated user name; `root` for the root user; absent when unknown */
  name?: string;
  accountId?: string;
  sessionName?: string;
}

const UNKNOWN: ParsedPrincipal = { type: 'unknown' };

/** The last segment of `user/path/name` or `role/path/name`, when every segment is well formed. */
function pathName(segments: string[]): string | undefined {
  if (segments.length < 1 || !segments.every(isIamName)) return undefined;
  return segments[segments.length - 1];
}

/**
 * `arn:aws:iam::<acct>:user/<path/>name`, `…:role/<path/>name` (a role: its sessions),
 * `arn:aws:sts::<acct>:assumed-role/<role>/<session>`, `…:federated-user/<name>`,
 * `arn:aws:iam::<acct>:root`, in any partition. Anything else is `unknown`.
 */
export function parsePrincipalArn(text: string): ParsedPrincipal {
  const match = PRINCIPAL_ARN.exec(text.length > 2048 ? '' : text);
  if (!match) return UNKNOWN;
  const [, , service, accountId, resource] = match as unknown as [string, string, 'iam' | 'sts', string, string];
  const [kind, ...rest] = resource.split('/');
  if (service === 'iam' && resource === 'root') return { type: 'root', name: 'root', accountId };
  if (service === 'iam' && (kind === 'user' || kind === 'role')) {
    const name = pathName(rest);
    return name ? { type: kind === 'user' ? 'iam-user' : 'assumed-role', name, accountId } : UNKNOWN;
  }
  if (service === 'sts' && kind === 'assumed-role' && rest.length === 2 && isIamName(rest[0]!) && SESSION_NAME.test(rest[1]!)) {
    return { type: 'assumed-role', name: rest[0]!, accountId, sessionName: rest[1]! };
  }
  if (service === 'sts' && kind === 'federated-user' && rest.length === 1 && isIamName(rest[0]!)) {
    return { type: 'federated-user', name: rest[0]!, accountId };
  }
  return UNKNOWN;
}

/** GuardDuty's `userType` and CloudTrail's `userIdentity.type`, and our own words, to a type. */
const TYPE_WORDS: Record<string, PrincipalType> = {
  iamuser: 'iam-user',
  'iam-user': 'iam-user',
  assumedrole: 'assumed-role',
  'assumed-role': 'assumed-role',
  role: 'assumed-role',
  federateduser: 'federated-user',
  'federated-user': 'federated-user',
  root: 'root',
  awsservice: 'aws-service',
  'aws-service': 'aws-service',
};

export function principalTypeFrom(word: string | undefined): PrincipalType {
  return (word && Object.hasOwn(TYPE_WORDS, word.toLowerCase()) ? TYPE_WORDS[word.toLowerCase()] : undefined) ?? 'unknown';
}

/** Everything a source may say about a principal, in AWS's terms; every field optional. */
export interface PrincipalFacts {
  /** a name, or an ARN */
  name?: string;
  arn?: string;
  /** AWS's word (`IAMUser`, `AssumedRole`, `FederatedUser`, `Root`, `AWSService`) or ours (`iam-user`, …) */
  type?: string;
  /** AWS's principal id: `AROA…:<session>` for a role session, `<account>:<name>` for a federated user */
  principalId?: string;
  accountId?: string;
  sessionName?: string;
  sessionIssuer?: string;
}

type PrincipalFields = Pick<AlertSubject, 'principal' | 'principalType' | 'principalArn' | 'sessionName' | 'sessionIssuer' | 'accountId'>;

/**
 * The subject's principal fields from what a source said. An ARN decides the type and name (it is
 * the most exact thing a source can say); otherwise the type word, and `unknown` without one. The
 * name falls back to the principal id, as GuardDuty's own `userName ?? principalId` does. Fields
 * are set only when known; `principalType` whenever there is a principal.
 */
export function principalFields(said: PrincipalFacts): PrincipalFields {
  // An empty string is a source saying nothing.
  const facts = Object.fromEntries(Object.entries(said).filter(([, v]) => typeof v === 'string' && v !== '')) as PrincipalFacts;
  const given = facts.arn ?? (facts.name?.startsWith('arn:') ? facts.name : undefined);
  const parsed = given ? parsePrincipalArn(given) : UNKNOWN;
  const type = parsed.type !== 'unknown' ? parsed.type : principalTypeFrom(facts.type);
  const [idHead, idTail] = splitPrincipalId(facts.principalId);
  const name =
    parsed.name ??
    facts.name ??
    (type === 'federated-user' && idTail ? idTail : undefined) ??
    (type === 'root' ? 'root' : undefined) ??
    facts.principalId;
  if (!name) return {};
  const fields: PrincipalFields = { principal: name, principalType: type };
  if (given && parsed.type !== 'unknown') fields.principalArn = given;
  const sessionName = facts.sessionName ?? parsed.sessionName ?? (type === 'assumed-role' && idTail && SESSION_NAME.test(idTail) ? idTail : undefined);
  if (sessionName) fields.sessionName = sessionName;
  if (facts.sessionIssuer) fields.sessionIssuer = facts.sessionIssuer;
  const accountId =
    (facts.accountId && isAccountId(facts.accountId) ? facts.accountId : undefined) ??
    parsed.accountId ??
    (idHead && isAccountId(idHead) && (type === 'federated-user' || type === 'root') ? idHead : undefined);
  if (accountId) fields.accountId = accountId;
  return fields;
}

/** `AROA…:i-0abc` → [`AROA…`, `i-0abc`]; an id without a colon has no tail. */
function splitPrincipalId(id: string | undefined): [string | undefined, string | undefined] {
  if (!id) return [undefined, undefined];
  const at = id.indexOf(':');
  return at === -1 ? [id, undefined] : [id.slice(0, at), id.slice(at + 1) || undefined];
}

/**
 * A subject whose principal has no type gets one: parsed from the principal when it is an ARN,
 * `unknown` otherwise. The ingress applies this to every alert, so `${alert.subject.principalType}`
 * resolves whenever `${alert.subject.principal}` does.
 */
export function withPrincipalType(subject: AlertSubject): AlertSubject {
  if (!subject.principal || subject.principalType) return subject;
  return { ...subject, ...principalFields({ name: subject.principal }) };
}
