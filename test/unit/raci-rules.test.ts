/** domain/raci.ts as tables: who is asked, escalated to and allowed to end an incident. */
import { approvalWithRaci, rejectEnding, type Raci } from '../../domain/raci';

const RACI: Raci = { responsible: 'oncall', accountable: 'leads', consulted: ['privacy'], informed: ['comms'] };
const BY_ROLE: Raci = { ...RACI, accountable: { role: 'communications-lead' } };
const OPEN = { approvers: 1, timeout: '15m', finalTimeout: '1h', onTimeout: 'deny' as const };

test.each([
  ['no group, a raci: responsible asked, accountable escalated to', OPEN, RACI, { group: 'oncall', escalateTo: 'leads' }],
  ['its own group and escalation win', { ...OPEN, group: 'a', escalateTo: 'b' }, RACI, { group: 'a', escalateTo: 'b' }],
  ['its own group, escalation from the raci', { ...OPEN, group: 'a' }, RACI, { group: 'a', escalateTo: 'leads' }],
  ['accountable a role: no escalation group', OPEN, BY_ROLE, { group: 'oncall' }],
  ['no raci: unchanged', { ...OPEN, group: 'a' }, undefined, { group: 'a' }],
])('approval policy: %s', (_, policy, raci, expected) => {
  const filled = approvalWithRaci(policy, raci)!;
  expect({ group: filled.group, ...(filled.escalateTo ? { escalateTo: filled.escalateTo } : {}) }).toEqual(expected);
});

test('a policy with no group and no raci has no approver group', () => {
  expect(approvalWithRaci(OPEN, undefined)).toBeUndefined();
});

test.each([
  ['no raci: the authority table alone decides', undefined, 'eve', [], {}, undefined],
  ['a responsible member', RACI, 'ann', ['oncall'], {}, undefined],
  ['an accountable member', RACI, 'lee', ['leads'], {}, undefined],
  ['the incident commander', RACI, 'eve', [], { 'incident-commander': 'eve' }, undefined],
  ['the holder of the accountable role', BY_ROLE, 'eve', [], { 'communications-lead': 'eve' }, undefined],
  ['a consulted or informed member only', RACI, 'pat', ['privacy', 'comms'], {}, /pat is neither responsible nor accountable for runbook r: resolve needs a member of oncall or leads, or the incident-commander/],
  ['another role holder', RACI, 'eve', [], { scribe: 'eve' }, /neither responsible nor accountable/],
  ['accountable a role, held by someone else', BY_ROLE, 'eve', ['leads'], { 'communications-lead': 'lee' }, /needs a member of oncall or the communications-lead, or the incident-commander/],
])('ending an incident: %s', (_, raci, by, groups, holders, refused) => {
  const why = rejectEnding({ raci, runbookId: 'r', by, groups, holders, verb: 'resolve' });
  if (refused) expect(why).toMatch(refused);
  else expect(why).toBeUndefined();
});
