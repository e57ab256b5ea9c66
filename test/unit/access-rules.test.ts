import {
  accessDifferences,
  accessPlan,
  nextAccessStatus,
  rejectAccessRequest,
  resolveGrant,
  timeLeft,
  type AccessGrant,
  type AccessProfile,
} from '../../domain/access';
import { parseConfig } from '../../platform/config';

const profile: AccessProfile = { target: { type: 'iamGroup', group: 'bg' }, maxDuration: '1h', approverGroup: 'security-leads', approvers: 1, needsOpenIncident: true };
const incident = { id: 'incident/x', open: true };

test.each([
  ['no such profile', { profile: undefined }, 'no access profile p'],
  ['no reason', { reason: '  ' }, 'a reason is required'],
  ['not a duration', { duration: 'soon' }, 'soon is not a duration such as 30m or 1h'],
  ['zero', { duration: '0m' }, '0m is not a duration such as 30m or 1h'],
  ['over the maximum', { duration: '61m' }, '61m is longer than profile p allows (at most 1h)'],
  ['at the maximum', { duration: '1h' }, undefined],
  ['needs an incident, none named', { incident: undefined }, 'profile p is granted only for an open incident: name one'],
  ['incident closed', { incident: { id: 'incident/x', open: false } }, 'incident/x is not open'],
  ['no incident needed', { profile: { ...profile, needsOpenIncident: false }, incident: undefined }, undefined],
])('request: %s', (_, change, expected) => {
  expect(rejectAccessRequest({ profileName: 'p', profile, duration: '30m', reason: 'why', incident, ...change })).toBe(expected);
});

test('a target needs the matching principal', () => {
  expect(resolveGrant('p', { type: 'iamGroup', group: 'bg' }, 'ana', { principalArn: 'arn:x' })).toBe('ana has no access.principals.ana.iamUser, which profile p needs');
  expect(resolveGrant('p', { type: 'roleTrust', role: 'r' }, 'ana', { principalArn: 'arn:x' })).toEqual({ type: 'roleTrust', role: 'r', principalArn: 'arn:x' });
});

test('the plan hash binds what, to whom, how long, for which incident', () => {
  const grant: AccessGrant = { type: 'iamGroup', group: 'bg', userName: 'ana' };
  const base = accessPlan({ requestId: 'r', grant, person: 'ana', duration: '1h', incidentId: 'incident/x' });
  expect(accessPlan({ requestId: 'r', grant, person: 'ana', duration: '1h', incidentId: 'incident/x' }).hash).toBe(base.hash);
  for (const other of [
    { duration: '2h' },
    { person: 'ben' },
    { incidentId: 'incident/y' },
    { grant: { ...grant, userName: 'ben' } },
    { until: '2026-01-01T00:00:00.000Z' },
  ]) expect(accessPlan({ requestId: 'r', grant, person: 'ana', duration: '1h', incidentId: 'incident/x', ...other }).hash).not.toBe(base.hash);
});

test.each([
  ['requested', 'approved', 'granting'],
  ['requested', 'denied', 'denied'],
  ['requested', 'unanswered', 'lapsed'],
  ['granting', 'granted', 'active'],
  ['active', 'ended', 'revoking'],
  ['revoking', 'revoked', 'revoked'],
] as const)('%s + %s → %s', (from, event, to) => {
  expect(nextAccessStatus(from, event)).toBe(to);
});

test('illegal moves throw', () => {
  expect(() => nextAccessStatus('revoked', 'granted')).toThrow('granted is not possible while revoked');
  expect(() => nextAccessStatus('requested', 'granted')).toThrow();
});

test('reconciliation: out of band is removed, a grant being made or revoked is left alone, a vanished active grant is reported', () => {
  const g = (userName: string): AccessGrant => ({ type: 'iamGroup', group: 'bg', userName });
  const open = [
    { id: 'access/a', grant: g('ana'), status: 'active' as const },
    { id: 'access/b', grant: g('ben'), status: 'granting' as const },
    { id: 'access/c', grant: g('cho'), status: 'active' as const },
    { id: 'access/d', grant: g('dan'), status: 'requested' as const },
  ];
  const found = accessDifferences(open, [g('ana'), g('ben'), g('dan'), g('eve')]);
  expect(found.outOfBand).toEqual([g('dan'), g('eve')]);
  expect(found.missing).toEqual([{ id: 'access/c', grant: g('cho') }]);
});

test('time left', () => {
  expect(timeLeft('2026-01-01T01:00:00Z', Date.parse('2026-01-01T00:00:00Z'))).toBe('1h 0m');
  expect(timeLeft('2026-01-01T00:10:30Z', Date.parse('2026-01-01T00:00:00Z'))).toBe('11m');
  expect(timeLeft('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:00:01Z'))).toBe('expired');
});

test('configuration: profiles are validated, naming the setting', () => {
  expect(() => parseConfig({ access: { profiles: { p: { target: { type: 'iamGroup', group: 'g' }, maxDuration: '2d', approverGroup: 'x' } } } })).toThrow(
    'access.profiles.p.maxDuration: at most 1d: break-glass access is short-lived',
  );
  expect(() => parseConfig({ access: { profiles: { p: { target: { type: 'permissionSet', instanceArn: 'arn:i', permissionSetArn: 'arn:p', accountId: '12' }, maxDuration: '1h', approverGroup: 'x' } } } })).toThrow(
    'access.profiles.p.target.accountId: a 12-digit AWS account id',
  );
  expect(parseConfig({}).access).toMatchObject({ profiles: {}, checkEvery: '1m', reconcileEvery: '15m' });
});
