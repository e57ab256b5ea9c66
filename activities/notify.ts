import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import { displayState, redactorFor, shownTitle, WITHHOLD_FREE_TEXT, type DisplayPolicy } from '../domain/display';
import type { ChatMessageRef, IncidentState } from '../domain/incident';
import { stateQuery } from '../workflows/definitions';
import type { AuditEvent, AuditSink } from './audit-sink';
import type { ApprovalAsk, Escalation, Notifier, TargetMiss } from './notifier';
import type { StepInput, StepOutcome } from './step';

export interface NotifyActivityDeps {
  notifier: Notifier;
  audit: AuditSink;
  /** whose free text people may see (domain/display.ts); default: nobody's */
  display?: DisplayPolicy;
}

/** How an incident's text is shown, learnt from its alerts. */
interface Shown {
  title: string;
  redact: (text: string) => string;
}

const UNREADABLE = (incidentId: string) => `[withheld: the incident's alerts could not be read; see tourniquet incidents show ${incidentId}]`;

/**
 * Every notifier (Slack, the log) is handed only what a person may see: the incident as
 * domain/display.ts shows it, and approval plans, escalations and notify texts with the incident's
 * free text withheld. Those come without the incident, so it is asked for (a query); when it cannot
 * be read, the free-text parts are withheld whole rather than sent as they are.
 */
export function createNotifyActivities(deps: NotifyActivityDeps) {
  const policy = deps.display ?? WITHHOLD_FREE_TEXT;

  async function shown(incidentId: string): Promise<Shown | undefined> {
    try {
      const state = await Context.current().client.workflow.getHandle(incidentId).query(stateQuery);
      const redact = redactorFor(state.alerts, policy);
      return { title: shownTitle(state, policy, redact), redact };
    } catch {
      return undefined;
    }
  }

  return {
    /** Returns the message ref (if the notifier posts one) for the workflow to keep. */
    async announceIncident(state: IncidentState): Promise<ChatMessageRef | undefined> {
      return deps.notifier.announce(displayState(state, policy), { retried: Context.current().info.attempt > 1 });
    },
    async requestApproval(ask: ApprovalAsk): Promise<void> {
      const view = await shown(ask.incidentId);
      await deps.notifier.requestApproval({
        ...ask,
        incidentTitle: view?.title ?? ask.incidentId,
        plan: view ? ask.plan.map(view.redact) : [UNREADABLE(ask.incidentId)],
      });
    },
    async escalate(escalation: Escalation): Promise<void> {
      const view = await shown(escalation.incidentId);
      await deps.notifier.escalate({ ...escalation, message: view ? view.redact(escalation.message) : UNREADABLE(escalation.incidentId) });
    },
    /**
     * A missed response target, told in the incident's thread (ids and names only, nothing to
     * withhold), then on the audit log under an id fixed by the activity: a retry appends it once.
     */
    async escalateTarget(miss: TargetMiss): Promise<void> {
      await deps.notifier.targetMissed(miss);
      const { workflowExecution, activityId } = Context.current().info;
      await deps.audit.append({
        id: `target-escalation/${workflowExecution?.runId ?? 'no-run'}/${activityId}`,
        who: 'worker',
        what: 'target.escalated',
        when: new Date().toISOString(),
        where: `worker:${hostname()}/${process.pid}`,
        why: { incident: miss.incidentId, reason: `${miss.level} ${miss.target} target (${miss.within}) missed` },
        correlationId: miss.incidentId,
        details: { level: miss.level, target: miss.target, within: miss.within, dueAt: miss.dueAt, ...(miss.group ? { group: miss.group } : {}), paging: miss.paging },
      });
    },
    /** Appends in order; a retried batch is harmless (the sink drops records it already has). */
    async recordAudit(events: AuditEvent[]): Promise<void> {
      if (deps.audit.appendAll) await deps.audit.appendAll(events);
      else for (const event of events) await deps.audit.append(event);
    },
    /** Step type `notify`: post a message (param `text`) to the incident's responders. */
    async notify(input: StepInput): Promise<StepOutcome> {
      const text = String(input.params.text ?? '');
      const view = await shown(input.incidentId);
      await deps.notifier.post(input.incidentId, view ? view.redact(text) : UNREADABLE(input.incidentId));
      return { summary: `notified responders` };
    },
  };
}
