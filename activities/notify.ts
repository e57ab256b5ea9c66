import { Context } from '@temporalio/activity';
import type { ChatMessageRef, IncidentState } from '../domain/incident';
import type { AuditEvent, AuditSink } from './audit-sink';
import type { ApprovalAsk, Escalation, Notifier } from './notifier';
import type { StepInput, StepOutcome } from './step';

export function createNotifyActivities(deps: { notifier: Notifier; audit: AuditSink }) {
  return {
    /** Returns the message ref (if the notifier posts one) for the workflow to keep. */
    async announceIncident(state: IncidentState): Promise<ChatMessageRef | undefined> {
      return deps.notifier.announce(state, { retried: Context.current().info.attempt > 1 });
    },
    async requestApproval(ask: ApprovalAsk): Promise<void> {
      await deps.notifier.requestApproval(ask);
    },
    async escalate(escalation: Escalation): Promise<void> {
      await deps.notifier.escalate(escalation);
    },
    /** Appends in order; a retried batch is harmless (the sink drops records it already has). */
    async recordAudit(events: AuditEvent[]): Promise<void> {
      if (deps.audit.appendAll) await deps.audit.appendAll(events);
      else for (const event of events) await deps.audit.append(event);
    },
    /** Step type `notify`: post a message (param `text`) to the incident's responders. */
    async notify(input: StepInput): Promise<StepOutcome> {
      const text = String(input.params.text ?? '');
      await deps.notifier.post(input.incidentId, text);
      return { summary: `notified responders` };
    },
  };
}
