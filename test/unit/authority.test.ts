import { ACTIONS, ANYONE, authorityTable, DEFAULT_AUTHORITY, rejectAuthority, type Action } from '../../domain/authority';

const table = DEFAULT_AUTHORITY;

test.each<[string, Action, string[], RegExp | undefined]>([
  ['anyone signed in declares', 'declare', [], undefined],
  ['anyone signed in adds a note', 'note', [], undefined],
  ['an on-call responder acknowledges', 'acknowledge', ['security-oncall'], undefined],
  ['someone in no group cannot acknowledge', 'acknowledge', [], /needs a member of security-oncall or security-leads .*in no group/],
  ['an on-call responder resolves (which cancels containment)', 'resolve', ['security-oncall'], undefined],
  ['a privacy officer alone cannot resolve', 'resolve', ['privacy-officer'], /may not resolve.*is in privacy-officer/],
  ['a lead closes as no-action', 'close-no-action', ['security-leads'], undefined],
  ['a responder retries a halted step', 'step.retry', ['security-oncall'], undefined],
  ['an outsider cannot skip a halted step', 'step.skip', ['finance'], /may not step.skip/],
  ['approve is open here: the runbook step names its group', 'approve', [], undefined],
  ['deny likewise', 'deny', [], undefined],
  ['a responder runs an undo', 'undo', ['security-oncall'], undefined],
  ['an outsider cannot undo', 'undo', [], /may not undo/],
  ['a responder extends a block', 'block.extend', ['security-oncall'], undefined],
  ['an outsider cannot extend a block', 'block.extend', ['privacy-officer'], /may not block.extend/],
  ['a responder lifts a block', 'block.lift', ['security-oncall'], undefined],
  ['only a lead keeps keys from deletion', 'key-deletion.cancel', ['security-oncall'], /security-leads/],
  ['a lead keeps keys from deletion', 'key-deletion.cancel', ['security-leads'], undefined],
  ['a lead records breach facts', 'clock.facts', ['security-leads'], undefined],
  ['the privacy officer records a law-enforcement delay', 'clock.delay', ['privacy-officer'], undefined],
  ['a responder cannot record a delay', 'clock.delay', ['security-oncall'], /privacy-officer/],
  ['the privacy officer records a notice', 'clock.notice', ['privacy-officer'], undefined],
  ['the privacy officer records an assessment', 'clock.assessment', ['privacy-officer'], undefined],
  ['a lead cannot close a clock by assessment', 'clock.assessment.close', ['security-leads'], /may not clock.assessment.close.*privacy-officer/],
  ['the privacy officer closes a clock by assessment', 'clock.assessment.close', ['privacy-officer'], undefined],
  ['a responder writes the review', 'review.edit', ['security-oncall'], undefined],
  ['an outsider cannot write the review', 'review.edit', ['finance'], /may not review.edit/],
  ['a responder adds a finding', 'review.finding', ['security-oncall'], undefined],
  ['only a lead finalises the review', 'review.finalise', ['security-oncall'], /may not review.finalise.*security-leads/],
  ['a lead finalises the review', 'review.finalise', ['security-leads'], undefined],
  ['a responder reassigns a follow-up', 'follow-up.update', ['security-oncall'], undefined],
  ['an outsider cannot reassign a follow-up', 'follow-up.update', [], /may not follow-up.update/],
  ['a follow-up owner outside every group closes it (with evidence)', 'follow-up.close', [], undefined],
  ['a responder records a drill finding', 'drill.finding', ['security-oncall'], undefined],
  ['an outsider cannot give people work from a drill', 'drill.finding', ['finance'], /may not drill.finding.*security-oncall or security-leads/],
])('%s', (_name, action, groups, why) => {
  const reason = rejectAuthority(table, action, 'alice', groups);
  if (why) expect(reason).toMatch(why);
  else expect(reason).toBeUndefined();
});

test('every action has a row, and configuration replaces a row whole', () => {
  for (const action of ACTIONS) expect(Array.isArray(DEFAULT_AUTHORITY[action])).toBe(true);
  const custom = authorityTable({ resolve: ['incident-commanders'], note: [] });
  expect(rejectAuthority(custom, 'resolve', 'alice', ['security-oncall'])).toMatch(/incident-commanders/);
  expect(rejectAuthority(custom, 'resolve', 'alice', ['incident-commanders'])).toBeUndefined();
  expect(rejectAuthority(custom, 'note', 'alice', ['security-oncall'])).toMatch(/not allowed to anyone/);
  expect(rejectAuthority(authorityTable({ 'block.lift': [ANYONE] }), 'block.lift', 'bob', [])).toBeUndefined();
  expect(custom.acknowledge).toEqual(DEFAULT_AUTHORITY.acknowledge);
});
