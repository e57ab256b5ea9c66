/**
 * A follow-up action: something a person owns and must finish by a date (a review's finding, a
 * drill's gap, a vulnerable dependency to upgrade), tracked until it is closed with evidence of
 * what was done. The rules here are the checks people's requests must pass.
 */
export const FOLLOW_UP_STATUSES = ['open', 'overdue', 'closed'] as const;
export type FollowUpStatus = (typeof FOLLOW_UP_STATUSES)[number];

export interface FollowUpClosure {
  by: string;
  at: string;
  /** where the proof of the work is (a merged change, a ticket, an evidence store key) */
  evidence: string;
  note: string;
}

/** What people see of a follow-up; `title` is responder-written and never sent to chat. */
export interface FollowUpView {
  id: string;
  /** the workflow id it came from (`review/<fingerprint>`, a drill, …) */
  origin: string;
  /** the incident it serves, when it serves one */
  incidentId?: string;
  title: string;
  owner: string;
  dueAt: string;
  status: FollowUpStatus;
  remindersSent: number;
  escalations: number;
  closure?: FollowUpClosure;
  changes: { at: string; by: string; what: string; message: string }[];
  asOf: string;
}

const PERSON = /^[\w.@:+-]{1,200}$/;

/** Why a new follow-up cannot be started as asked, or undefined. */
export function rejectFollowUp(fields: { title: string; owner: string; dueAt: string }): string | undefined {
  if (!fields.title?.trim()) return 'a follow-up needs a title';
  if (fields.title.length > 2_000) return 'a follow-up title is at most 2000 characters';
  return rejectOwner(fields.owner) ?? rejectDueAt(fields.dueAt);
}

export function rejectOwner(owner: string): string | undefined {
  return typeof owner === 'string' && PERSON.test(owner) ? undefined : 'the owner must be a person id (letters, digits, . @ : + -)';
}

export function rejectDueAt(dueAt: string): string | undefined {
  const ms = typeof dueAt === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(dueAt) ? Date.parse(dueAt) : NaN;
  // A date that does not round-trip (30 February) is a typo, not the 2nd of March.
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === dueAt.slice(0, 10)
    ? undefined
    : 'the due date must be an ISO date (2027-02-01) or UTC instant (2027-02-01T17:00:00Z)';
}

/** A date alone is due at the end of that day (UTC): "due 1 February" includes the 1st. */
export function dueInstant(dueAt: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(dueAt) ? Date.parse(`${dueAt}T23:59:59.999Z`) : Date.parse(dueAt);
}

/** Why a closure is refused: it needs evidence (what shows the work was done) and a note. */
export function rejectClosure(fields: { evidence: string; note: string }): string | undefined {
  if (!fields.evidence?.trim()) return 'closing a follow-up needs evidence of the work (a change, a ticket, an evidence key)';
  if (fields.evidence.length > 2_000) return 'evidence is a reference of at most 2000 characters';
  if (!fields.note?.trim()) return 'closing a follow-up needs a note saying what was done';
  return undefined;
}
