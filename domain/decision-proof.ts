/**
 * Proof that a person's decision was authenticated and authorised. The ingress (operator API,
 * Slack app) verifies who the person is, checks the authority table against their current groups,
 * and signs a grant for exactly this decision with an Ed25519 key only it holds. The workflow's
 * validator checks the grant with the public keys the workers were configured with, before anything
 * is recorded: raw Temporal access, or the codec key, is not enough to approve, resolve, undo or
 * close a clock. Pure JavaScript, so it runs inside the workflow sandbox.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-json';

export interface DecisionGrant {
  /** format version */
  v: 1;
  /** which signing key (workers may know several during a rotation) */
  kid: string;
  /** the action in the authority table, e.g. `approve`, `resolve`, `clock.assessment` */
  action: string;
  /** the workflow the decision is addressed to */
  workflowId: string;
  /** what exactly is decided (step id, plan hash, …): must equal the request's own fields */
  subject: Record<string, string>;
  /** the verified person (one id per person, whatever channel they came through) */
  by: string;
  /** the person's groups when the decision was made (authority is checked at decision time) */
  groups: string[];
  /** where it came from: `slack:<team>/<user>`, `api:<client address>` */
  via: string;
  issuedAt: string;
  /** makes each grant single-use */
  nonce: string;
}

export interface DecisionProof {
  grant: DecisionGrant;
  /** hex Ed25519 signature over the grant's canonical JSON */
  signature: string;
}

/** Public keys by key id (hex, 32 bytes), as the workers are configured. */
export type DecisionKeys = Record<string, string>;

/** How long a grant stays usable after it was issued: long enough for a slow network, no longer. */
export const GRANT_MAX_AGE_MS = 5 * 60_000;

export function signDecision(grant: DecisionGrant, secretKeyHex: string): DecisionProof {
  return { grant, signature: bytesToHex(ed25519.sign(utf8ToBytes(canonicalJson(grant)), hexToBytes(secretKeyHex))) };
}

export function decisionPublicKey(secretKeyHex: string): string {
  return bytesToHex(ed25519.getPublicKey(hexToBytes(secretKeyHex)));
}

export interface ExpectedDecision {
  action: string;
  workflowId: string;
  subject: Record<string, string>;
  /** workflow time */
  now: Date;
  /**
   * A grant forwarded by the workflow it was given to (an undo telling the incident it ran) may
   * arrive after that workflow's own work; default GRANT_MAX_AGE_MS.
   */
  maxAgeMs?: number;
}

/** Why the proof does not authorise this decision, or undefined when it does. */
export function rejectProof(proof: DecisionProof | undefined, keys: DecisionKeys, expected: ExpectedDecision): string | undefined {
  if (!proof?.grant || typeof proof.signature !== 'string') return 'no proof of an authenticated, authorised operator: decide through Slack or the operator API';
  const { grant } = proof;
  const key = keys[grant.kid];
  if (!key) return `proof signed with unknown key ${String(grant.kid)}`;
  let valid = false;
  try {
    valid = ed25519.verify(hexToBytes(proof.signature), utf8ToBytes(canonicalJson(grant)), hexToBytes(key));
  } catch {
    valid = false;
  }
  if (!valid) return 'proof signature is not valid';
  if (grant.v !== 1) return `proof format ${String(grant.v)} is not understood`;
  if (grant.action !== expected.action) return `proof is for ${grant.action}, not ${expected.action}`;
  if (grant.workflowId !== expected.workflowId) return `proof is for ${grant.workflowId}, not ${expected.workflowId}`;
  for (const [field, value] of Object.entries(expected.subject)) {
    if (grant.subject[field] !== value) return `proof is for ${field} ${grant.subject[field] ?? '(none)'}, not ${value}`;
  }
  const age = expected.now.getTime() - Date.parse(grant.issuedAt);
  if (!(age <= (expected.maxAgeMs ?? GRANT_MAX_AGE_MS) && age >= -GRANT_MAX_AGE_MS)) return 'proof has expired; decide again';
  return undefined;
}

/** Grants already used by a workflow, forgotten once they could no longer be accepted anyway. */
export class UsedGrants {
  private readonly seen: Map<string, number>;

  constructor(carried: [string, number][] = []) {
    this.seen = new Map(carried);
  }

  /** Records the grant; false when it was used before (a replayed command). */
  use(grant: DecisionGrant, now: Date): boolean {
    for (const [nonce, at] of this.seen) if (now.getTime() - at > 2 * GRANT_MAX_AGE_MS) this.seen.delete(nonce);
    if (this.seen.has(grant.nonce)) return false;
    this.seen.set(grant.nonce, Date.parse(grant.issuedAt));
    return true;
  }

  has(grant: DecisionGrant): boolean {
    return this.seen.has(grant.nonce);
  }

  carry(): [string, number][] {
    return [...this.seen];
  }
}
