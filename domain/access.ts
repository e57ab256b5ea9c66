/**
 * Break-glass access: a responder asks for a configured profile (an IAM Identity Center permission
 * set on an account, membership of an IAM group, or a role's trust for their principal) for a
 * while, with a reason; approvers of the profile's group see exactly what will be granted, to
 * whom, for how long, and approve that plan; the grant's workflow takes it away at the end of its
 * window, when its incident resolves, when it is revoked, or when its holder leaves. HIPAA
 * 164.312(a)(1) and 164.308(a)(4): access granted per need, time-bound, justified and logged.
 * Pure rules, shared by the ingress (which refuses early) and the workflow (which decides).
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-json';
import { parseDurationMs } from './duration';

/** What a profile grants in AWS, and to which of the person's principals. */
export type AccessTarget =
  | { type: 'iamGroup'; group: string }
  | { type: 'roleTrust'; role: string }
  | { type: 'permissionSet'; instanceArn: string; permissionSetArn: string; accountId: string };

export interface AccessProfile {
  target: AccessTarget;
  /** e.g. `1h`; a request or extension past it is refused */
  maxDuration: string;
  approverGroup: string;
  /** distinct approvers needed, none of them the requester (2 with the requester: the two-person rule) */
  approvers: number;
  needsOpenIncident: boolean;
  /** who may hold it; default: anyone the authority table lets request access */
  holderGroup?: string;
}

/** The person's principal for a target: an IAM user name, a principal ARN, an Identity Store user id. */
export interface AccessPrincipals {
  iamUser?: string;
  principalArn?: string;
  ssoUserId?: string;
}

/** One grant, resolved: the exact thing the activities add and remove. */
export type AccessGrant =
  | { type: 'iamGroup'; group: string; userName: string }
  | { type: 'roleTrust'; role: string; principalArn: string }
  | { type: 'permissionSet'; instanceArn: string; permissionSetArn: string; accountId: string; userId: string };

/** The principal a target needs, or why the person has none. */
export function resolveGrant(profileName: string, target: AccessTarget, person: string, principals: AccessPrincipals | undefined): AccessGrant | string {
  const missing = (field: string) => `${person} has no access.principals.${person}.${field}, which profile ${profileName} needs`;
  switch (target.type) {
    case 'iamGroup':
      return principals?.iamUser ? { ...target, userName: principals.iamUser } : missing('iamUser');
    case 'roleTrust':
      return principals?.principalArn ? { ...target, principalArn: principals.principalArn } : missing('principalArn');
    case 'permissionSet':
      return principals?.ssoUserId ? { ...target, userId: principals.ssoUserId } : missing('ssoUserId');
  }
}

/** The grant in words, for plans, messages and the ledger (no PHI: names of groups, roles, accounts). */
export function describeGrant(grant: AccessGrant): string {
  switch (grant.type) {
    case 'iamGroup':
      return `add IAM user ${grant.userName} to group ${grant.group}`;
    case 'roleTrust':
      return `let ${grant.principalArn} assume role ${grant.role} (a statement in its trust policy)`;
    case 'permissionSet':
      return `assign permission set ${grant.permissionSetArn} on account ${grant.accountId} to Identity Center user ${grant.userId}`;
  }
}

/** The AWS-side identity of a grant: two grants with the same key are the same access. */
export function grantKey(grant: AccessGrant): string {
  switch (grant.type) {
    case 'iamGroup':
      return `iamGroup:${grant.group}:${grant.userName}`;
    case 'roleTrust':
      return `roleTrust:${grant.role}:${grant.principalArn}`;
    case 'permissionSet':
      return `permissionSet:${grant.instanceArn}:${grant.accountId}:${grant.permissionSetArn}:${grant.userId}`;
  }
}

/** The Sid of the trust statement a roleTrust grant adds: ours to find and remove, one per principal. */
export const TRUST_SID_PREFIX = 'TourniquetBreakGlass';
export function trustStatementSid(principalArn: string): string {
  return `${TRUST_SID_PREFIX}${bytesToHex(sha256(utf8ToBytes(principalArn))).slice(0, 16)}`;
}

export interface AccessRequestFacts {
  profileName: string;
  profile: AccessProfile | undefined;
  duration: string;
  reason: string;
  /** the incident named, and whether it is open (undefined: none named) */
  incident?: { id: string; open: boolean };
}

/** Why a request must be refused before anyone is asked, or undefined when it may be asked. */
export function rejectAccessRequest(facts: AccessRequestFacts): string | undefined {
  const { profile } = facts;
  if (!profile) return `no access profile ${facts.profileName}`;
  if (!facts.reason.trim()) return 'a reason is required';
  const ms = parseDurationMs(facts.duration);
  if (ms === undefined || ms <= 0) return `${facts.duration} is not a duration such as 30m or 1h`;
  if (ms > parseDurationMs(profile.maxDuration)!) return `${facts.duration} is longer than profile ${facts.profileName} allows (at most ${profile.maxDuration})`;
  if (profile.needsOpenIncident && !facts.incident) return `profile ${facts.profileName} is granted only for an open incident: name one`;
  if (facts.incident && !facts.incident.open) return `${facts.incident.id} is not open`;
  return undefined;
}

/** What the approvers approve: the grant, to whom, for how long (or until when), for which incident. */
export interface AccessPlan {
  lines: string[];
  hash: string;
}

export interface AccessPlanFacts {
  requestId: string;
  grant: AccessGrant;
  person: string;
  duration: string;
  incidentId?: string;
  /** an extension: the exact new end of the window */
  until?: string;
}

export function accessPlan(facts: AccessPlanFacts): AccessPlan {
  const lines = [
    `${describeGrant(facts.grant)} (for ${facts.person})`,
    facts.until ? `extend the window to ${facts.until} (+${facts.duration})` : `for ${facts.duration} from the grant, then removed`,
    facts.incidentId ? `for ${facts.incidentId}; removed when it resolves` : 'not tied to an incident',
  ];
  const hash = bytesToHex(sha256(utf8ToBytes(canonicalJson({ ...facts, lines }))));
  return { lines, hash };
}

// ---- the grant's life, as a table -------------------------------------------------------------

export const ACCESS_STATUSES = ['requested', 'granting', 'active', 'revoking', 'revoked', 'denied', 'refused', 'lapsed'] as const;
export type AccessStatus = (typeof ACCESS_STATUSES)[number];
export type AccessEvent = 'approved' | 'denied' | 'refused' | 'unanswered' | 'granted' | 'ended' | 'revoked';

const ACCESS_TRANSITIONS: Record<AccessStatus, Partial<Record<AccessEvent, AccessStatus>>> = {
  requested: { approved: 'granting', denied: 'denied', refused: 'refused', unanswered: 'lapsed', ended: 'lapsed' },
  granting: { granted: 'active', ended: 'revoking' },
  active: { ended: 'revoking' },
  revoking: { revoked: 'revoked' },
  revoked: {},
  denied: {},
  refused: {},
  lapsed: {},
};

export function nextAccessStatus(status: AccessStatus, event: AccessEvent): AccessStatus {
  const next = ACCESS_TRANSITIONS[status][event];
  if (!next) throw new Error(`access grant: ${event} is not possible while ${status}`);
  return next;
}

/** Statuses during which the grant may exist in AWS: reconciliation leaves these principals alone. */
export function mayHoldAccess(status: AccessStatus): boolean {
  return status === 'granting' || status === 'active' || status === 'revoking';
}

/** Why the grant ends (recorded with its revocation). */
export type AccessEnd = 'expired' | 'revoked' | 'incident-resolved' | 'holder-removed' | 'reconciled';

/** How long is left, in words for `access list` (`42m`, `1h 5m`, `expired`). */
export function timeLeft(expiresAt: string | undefined, nowMs: number): string {
  if (!expiresAt) return '—';
  const ms = Date.parse(expiresAt) - nowMs;
  if (ms <= 0) return 'expired';
  const minutes = Math.ceil(ms / 60_000);
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h}h ${minutes % 60}m` : `${minutes}m`;
}

/**
 * Reconciliation: what AWS grants through the profiles' targets, against the open grants. Access
 * with no grant that may hold it is out of band (given by hand, or left behind) and is removed; an
 * active grant AWS no longer has was taken away by hand, and people are told.
 */
export function accessDifferences(
  open: { id: string; grant: AccessGrant; status: AccessStatus }[],
  inAws: AccessGrant[],
): { outOfBand: AccessGrant[]; missing: { id: string; grant: AccessGrant }[] } {
  const held = new Set(open.filter((g) => mayHoldAccess(g.status)).map((g) => grantKey(g.grant)));
  const present = new Set(inAws.map(grantKey));
  return {
    outOfBand: inAws.filter((g) => !held.has(grantKey(g))),
    missing: open.filter((g) => g.status === 'active' && !present.has(grantKey(g.grant))).map(({ id, grant }) => ({ id, grant })),
  };
}
