import { randomBytes } from 'node:crypto';
import { decisionPublicKey, GRANT_MAX_AGE_MS, rejectProof, signDecision, UsedGrants, type DecisionGrant } from '../../domain/decision-proof';

const secret = randomBytes(32).toString('hex');
const other = randomBytes(32).toString('hex');
const keys = { k1: decisionPublicKey(secret) };
const now = new Date('2026-12-01T12:00:00Z');
const grant = (over: Partial<DecisionGrant> = {}): DecisionGrant => ({
  v: 1,
  kid: 'k1',
  action: 'approve',
  workflowId: 'incident/fp1',
  subject: { stepId: 'revoke-key', planHash: 'abc' },
  by: 'alice',
  groups: ['security-oncall'],
  via: 'api:127.0.0.1',
  issuedAt: now.toISOString(),
  nonce: 'n1',
  ...over,
});
const expected = { action: 'approve', workflowId: 'incident/fp1', subject: { stepId: 'revoke-key', planHash: 'abc' }, now };

test('a grant signed by the ingress key for exactly this decision is accepted', () => {
  expect(rejectProof(signDecision(grant(), secret), keys, expected)).toBeUndefined();
});

test.each<[string, () => ReturnType<typeof signDecision> | undefined, RegExp]>([
  ['no proof (a raw Temporal update)', () => undefined, /no proof/],
  ['signed with another key', () => signDecision(grant(), other), /signature is not valid/],
  ['an unknown key id', () => signDecision(grant({ kid: 'k9' }), secret), /unknown key k9/],
  ['the grant changed after signing (by)', () => ({ ...signDecision(grant(), secret), grant: grant({ by: 'mallory' }) }), /signature/],
  ['the grant changed after signing (groups)', () => ({ ...signDecision(grant(), secret), grant: grant({ groups: ['security-leads'] }) }), /signature/],
  ['another action', () => signDecision(grant({ action: 'deny' }), secret), /for deny, not approve/],
  ['another incident', () => signDecision(grant({ workflowId: 'incident/fp2' }), secret), /not incident\/fp1/],
  ['another plan', () => signDecision(grant({ subject: { stepId: 'revoke-key', planHash: 'old' } }), secret), /planHash old, not abc/],
  ['too old', () => signDecision(grant({ issuedAt: new Date(now.getTime() - GRANT_MAX_AGE_MS - 1).toISOString() }), secret), /expired/],
  ['from the future', () => signDecision(grant({ issuedAt: new Date(now.getTime() + GRANT_MAX_AGE_MS + 1).toISOString() }), secret), /expired/],
  ['garbage signature', () => ({ grant: grant(), signature: 'zz' }), /signature is not valid/],
])('refused: %s', (_name, make, why) => {
  expect(rejectProof(make(), keys, expected)).toMatch(why);
});

test('a grant is single-use; used nonces are forgotten once they could not be accepted anyway', () => {
  const used = new UsedGrants();
  const g = grant();
  expect(used.has(g)).toBe(false);
  expect(used.use(g, now)).toBe(true);
  expect(used.has(g)).toBe(true);
  expect(used.use(g, now)).toBe(false);
  const carried = new UsedGrants(used.carry());
  expect(carried.has(g)).toBe(true);
  carried.use(grant({ nonce: 'n2' }), new Date(now.getTime() + 3 * GRANT_MAX_AGE_MS));
  expect(carried.has(g)).toBe(false);
});
