import type { FollowUpsConfig } from '../platform/follow-ups-config';
import type { FollowUpSettings } from '../workflows/follow-up-definitions';
import type { AuditSink } from './audit-sink';
import type { Notifier } from './notifier';

export interface FollowUpActivityDeps {
  notifier: Notifier;
  audit: AuditSink;
  followUps: FollowUpsConfig;
}

/**
 * A reminder or an escalation about something due: a follow-up action or a review. What people are
 * told names the item, its owner and its due date, never its title: a title is free text, and
 * chat is not where free text goes (the CLI and dashboard show it to people signed in).
 */
export interface DueNotice {
  /** the follow-up's or review's workflow id */
  followUpId: string;
  incidentId?: string;
  owner: string;
  dueAt: string;
  /** days before due (reminder) or days overdue (escalation) */
  days: number;
  /** the workflow time of the notice, so a retried activity writes the same audit record */
  at: string;
  /** `follow-up` (default) or `review`, for the words and the CLI hint */
  kind?: 'follow-up' | 'review';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function createFollowUpActivities(deps: FollowUpActivityDeps) {
  // Audited first, under an id fixed by the notice: a retry after a failed post writes no second record.
  const auditNotice = (what: string, n: DueNotice) =>
    deps.audit.append({
      id: `${n.followUpId}/${what}/${n.at}`,
      who: 'worker',
      what,
      when: n.at,
      where: 'worker',
      why: { ...(n.incidentId ? { incident: n.incidentId } : {}) },
      correlationId: n.followUpId,
      details: { owner: n.owner, dueAt: n.dueAt, days: n.days },
    });
  const hint = (n: DueNotice) =>
    n.kind === 'review' ? `npx tourniquet reviews show ${n.followUpId}` : `npx tourniquet follow-ups close ${n.followUpId} --evidence … --note …`;
  const where = (n: DueNotice) => n.incidentId ?? n.followUpId;

  return {
    /** The configured follow-up settings, read once by each follow-up when it starts and then kept. */
    async followUpSettings(): Promise<FollowUpSettings> {
      return { reminderDays: deps.followUps.reminderDays, ...(deps.followUps.escalationGroup ? { escalationGroup: deps.followUps.escalationGroup } : {}) };
    },

    async remindFollowUp(n: DueNotice): Promise<void> {
      await auditNotice(`${n.kind ?? 'follow-up'}.reminder`, n);
      await deps.notifier.post(where(n), `${n.kind === 'review' ? 'Review' : 'Follow-up'} ${n.followUpId} (owner ${n.owner}) is due ${n.dueAt}: ${plural(n.days, 'day')} left. ${hint(n)}`);
    },

    /** Overdue: escalate, every day until it is closed. */
    async escalateFollowUp(n: DueNotice & { group?: string }): Promise<void> {
      await auditNotice(`${n.kind ?? 'follow-up'}.overdue`, n);
      await deps.notifier.escalate({
        incidentId: where(n),
        group: n.group ?? deps.followUps.escalationGroup,
        message: `${n.kind === 'review' ? 'Review' : 'Follow-up'} ${n.followUpId} (owner ${n.owner}) is OVERDUE${n.days > 0 ? ` by ${plural(n.days, 'day')}` : ''}: it was due ${n.dueAt}. ${hint(n)}`,
      });
    },
  };
}
