/**
 * The authority table: every action a person can take on an incident, a block, a key deletion or
 * a breach clock, and the groups whose members may take it. HIPAA 164.312(a)(1) asks for access by
 * authorised persons only, and 164.308(a)(4) for the authorisation to be granted per function: this
 * is that grant, in one place. Evaluated when the decision is made, against the person's groups at
 * that moment (configuration as the ingress has it loaded, or the identity provider's groups claim).
 */

export const ACTIONS = [
  'declare',
  'acknowledge',
  'note',
  'resolve',
  'close-no-action',
  'step.retry',
  'step.skip',
  'approve',
  'deny',
  'undo',
  'block.extend',
  'block.lift',
  'key-deletion.cancel',
  'kms.deletion.approve',
  'kms.deletion.cancel',
  'clock.facts',
  'clock.delay',
  'clock.notice',
  'clock.assessment',
  'clock.assessment.close',
  'access.request',
  'access.approve',
  'access.revoke',
  'clock.discovery',
  'clock.start',
  'review.edit',
  'review.finding',
  'review.finalise',
  'follow-up.update',
  'follow-up.close',
  'drill.start',
  'drill.finding',
  'role.assign',
  'checklist.check',
] as const;

export type Action = (typeof ACTIONS)[number];

/** Any authenticated person (Slack member of the workspace, holder of a token). */
export const ANYONE = '*';

/** action → groups allowed; ANYONE opens an action to every authenticated person. */
export type AuthorityTable = Record<Action, string[]>;

const RESPONDERS = ['security-oncall', 'security-leads'];

/**
 * The defaults, for the groups the shipped runbooks name. Approve and deny are open at this level
 * because the runbook step decides: its approval group (or its escalation group after the first
 * timeout) is checked against the person's groups by the incident itself (domain/approval.ts).
 */
export const DEFAULT_AUTHORITY: AuthorityTable = {
  declare: [ANYONE],
  acknowledge: RESPONDERS,
  note: [ANYONE],
  // Resolving cancels running containment: responders only.
  resolve: RESPONDERS,
  'close-no-action': RESPONDERS,
  'step.retry': RESPONDERS,
  'step.skip': RESPONDERS,
  approve: [ANYONE],
  deny: [ANYONE],
  undo: RESPONDERS,
  'block.extend': RESPONDERS,
  'block.lift': RESPONDERS,
  'key-deletion.cancel': ['security-leads'],
  // Like approve: the retirement checks the rotation step's approval group against the grant.
  'kms.deletion.approve': [ANYONE],
  'kms.deletion.cancel': ['security-leads'],
  'clock.facts': ['privacy-officer', 'security-leads'],
  'clock.delay': ['privacy-officer'],
  'clock.notice': ['privacy-officer'],
  'clock.assessment': ['privacy-officer'],
  // A documented low probability of compromise ends the notification duty (164.402(2)).
  'clock.assessment.close': ['privacy-officer'],
  // Break-glass access: responders ask; the profile's approver group decides (checked by the
  // grant itself, like a step's approval group); the holder or an approver may revoke early.
  'access.request': RESPONDERS,
  'access.approve': [ANYONE],
  'access.revoke': [ANYONE],
  // When the breach was discovered decides every deadline (164.404(a)(2)): the privacy officer's record.
  'clock.discovery': ['privacy-officer'],
  // A clock on any incident (a triage that turns out to involve PHI).
  'clock.start': ['privacy-officer'],
  // The review is the responders' account; finalising it stores it as evidence for good.
  'review.edit': RESPONDERS,
  'review.finding': RESPONDERS,
  'review.finalise': ['security-leads'],
  // A follow-up's owner need not be a responder: anyone may report their work done, with evidence.
  'follow-up.update': RESPONDERS,
  'follow-up.close': [ANYONE],
  // A drill pages real people and holds real approvers' time: responders start one.
  'drill.start': RESPONDERS,
  // A drill's finding gives someone work with a due date: like a review's finding, the responders'.
  'drill.finding': RESPONDERS,
  // Who leads, speaks, decides about PHI and keeps the record: responders assign and hand over.
  'role.assign': RESPONDERS,
  // Eradication and recovery items are the responders' to tick off, each with a note.
  'checklist.check': RESPONDERS,
};

export function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

/** The defaults with the configured rows replacing theirs (a row is replaced whole, never merged). */
export function authorityTable(configured: Partial<Record<Action, string[]>> = {}): AuthorityTable {
  return { ...DEFAULT_AUTHORITY, ...configured };
}

/** Why this person may not take this action, or undefined when they may. */
export function rejectAuthority(table: AuthorityTable, action: Action, person: string, groups: readonly string[]): string | undefined {
  const allowed = table[action];
  if (allowed.includes(ANYONE)) return undefined;
  if (allowed.some((group) => groups.includes(group))) return undefined;
  if (allowed.length === 0) return `${action} is not allowed to anyone (authority.${action} is empty)`;
  return `${person} may not ${action}: it needs a member of ${allowed.join(' or ')}${groups.length > 0 ? ` (${person} is in ${groups.join(', ')})` : ` (${person} is in no group)`}`;
}
