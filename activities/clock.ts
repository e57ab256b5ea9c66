import type { ClockSettings, Obligation } from '../domain/hipaa';
import type { AuditSink } from './audit-sink';
import type { Notifier } from './notifier';

/** The `clocks` settings the activities need: the entity's clock settings and whom to escalate to. */
export interface ClockActivityDeps {
  notifier: Notifier;
  audit: AuditSink;
  clocks: ClockSettings & { escalationGroup?: string };
}

export interface ClockNotice {
  clockId: string;
  incidentId: string;
  obligation: Pick<Obligation, 'id' | 'kind' | 'notifies' | 'deadline' | 'rule'>;
  /** days left (reminder) or days overdue (escalation) */
  days: number;
  /** the workflow time of the reminder, so a retried activity writes the same audit record */
  at: string;
  /** a drill's clock: `at` is its compressed time, so the record is dated when it is written */
  exercise?: boolean;
}

function subject(n: ClockNotice): string {
  return `notice to ${n.obligation.notifies} (${n.obligation.rule}), due ${n.obligation.deadline}`;
}

export function createClockActivities(deps: ClockActivityDeps) {
  // Audited first, under an id fixed by the notice: a retry after a failed post writes no second
  // record, and a post that fails is retried rather than recorded as sent.
  const auditNotice = (what: string, n: ClockNotice, days: Record<string, number>) =>
    deps.audit.append({
      id: `${n.clockId}/${what}/${n.obligation.id}/${n.at}`,
      who: 'worker',
      what,
      when: n.exercise ? new Date().toISOString() : n.at,
      where: 'worker',
      why: { incident: n.incidentId, reason: n.obligation.rule },
      correlationId: n.clockId,
      details: { obligation: n.obligation.id, deadline: n.obligation.deadline, ...days, ...(n.exercise ? { exerciseTime: n.at } : {}) },
    });

  return {
    /** The configured clock settings, read once by each clock when it starts and then kept. */
    async clockSettings(): Promise<ClockSettings> {
      const { escalationGroup: _group, ...settings } = deps.clocks;
      return settings;
    },

    /** A reminder before a deadline: to the incident's channel and to the audit log. */
    async remindClock(n: ClockNotice): Promise<void> {
      const when = n.days === 0 ? 'due today' : `${n.days} day${n.days === 1 ? '' : 's'} left`;
      await auditNotice('clock.reminder', n, { daysLeft: n.days });
      await deps.notifier.post(n.incidentId, `Breach clock ${n.clockId}: ${subject(n)}: ${when}.`);
    },

    /** Past a deadline: escalate, every day until the notice is recorded. */
    async escalateClock(n: ClockNotice): Promise<void> {
      await auditNotice('clock.overdue', n, { daysOverdue: n.days });
      await deps.notifier.escalate({
        incidentId: n.incidentId,
        group: deps.clocks.escalationGroup,
        message: `Breach clock ${n.clockId}: OVERDUE by ${n.days} day${n.days === 1 ? '' : 's'}: ${subject(n)}. Record the notice when sent: npx tourniquet clocks record-notice ${n.clockId} --obligation ${n.obligation.id} ….`,
      });
    },
  };
}
