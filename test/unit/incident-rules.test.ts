import { approvalOutcome, rejectApproval, type ApprovalAttempt } from '../../domain/approval';
import { isTerminal, nextStatus, type IncidentEvent, type IncidentStatus } from '../../domain/incident';
import type { Approval } from '../../domain/incident';
import type { ApprovalPolicy } from '../../domain/runbook';

describe('incident lifecycle table', () => {
  const rows: [IncidentStatus, IncidentEvent, IncidentStatus | undefined][] = [
    ['open', 'containment-started', 'containing'],
    ['open', 'resolve', 'resolved'],
    ['open', 'close-no-action', 'closed-no-action'],
    ['open', 'containment-finished', undefined],
    ['containing', 'containment-finished', 'contained'],
    ['containing', 'resolve', 'resolved'],
    ['containing', 'close-no-action', 'closed-no-action'],
    ['contained', 'containment-undone', 'containing'],
    ['contained', 'close-no-action', undefined],
    ['open', 'containment-undone', undefined],
    ['contained', 'resolve', 'resolved'],
    ['contained', 'containment-started', undefined],
    ['resolved', 'resolve', undefined],
    ['closed-no-action', 'resolve', undefined],
  ];
  test.each(rows)('%s + %s → %s', (status, event, next) => {
    expect(nextStatus(status, event)).toBe(next);
  });
  test.each([
    ['resolved', true],
    ['closed-no-action', true],
    ['open', false],
    ['containing', false],
    ['contained', false],
  ] as const)('%s is terminal: %s', (status, terminal) => expect(isTerminal(status)).toBe(terminal));
});

describe('approval rules', () => {
  const policy: ApprovalPolicy = { group: 'oncall', approvers: 2, timeout: '15m', escalateTo: 'leads', finalTimeout: '1h', onTimeout: 'deny' };
  const groups = { oncall: ['alice', 'bob', 'carol'], leads: ['dana'] };
  const approval = (by: string, decision: Approval['decision'] = 'approve'): Approval => ({
    by,
    decision,
    justification: 'j',
    at: '2026-01-01T00:00:00Z',
    planHash: 'p1',
  });
  const attempt = (over: Partial<ApprovalAttempt>): ApprovalAttempt => ({
    policy,
    approvals: [],
    by: 'alice',
    requester: 'carol',
    groups,
    escalated: false,
    currentPlanHash: 'p1',
    ...over,
  });

  test.each([
    ['a member of the group', {}, undefined],
    ['someone outside the group', { by: 'mallory' }, /not in the approver group oncall/],
    ['the escalation group before escalation', { by: 'dana' }, /not in the approver group/],
    ['the escalation group after escalation', { by: 'dana', escalated: true }, undefined],
    ['the requester', { by: 'carol' }, /requested this action/],
    ['a second click by the same approver', { approvals: [approval('alice')] }, /already decided/],
    ['an approval of a stale plan', { planHash: 'p0' }, /plan changed/],
    ['an approval of the current plan', { planHash: 'p1' }, undefined],
  ] as const)('%s', (_, over, expected) => {
    const why = rejectApproval(attempt(over as Partial<ApprovalAttempt>));
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(expected);
  });

  test.each([
    [[], 'pending'],
    [[approval('alice')], 'pending'],
    [[approval('alice'), approval('alice')], 'pending'], // the two-person rule counts people, not clicks
    [[approval('alice'), approval('bob')], 'approved'],
    [[approval('alice'), approval('bob', 'deny')], 'denied'],
    [[approval('bob', 'deny')], 'denied'],
  ] as const)('outcome of %j is %s', (approvals, outcome) => {
    expect(approvalOutcome(policy, [...approvals])).toBe(outcome);
  });
});
