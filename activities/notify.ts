import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Alert } from '../domain/alert';
import { displayState, redactorFor, shownTitle, WITHHOLD_FREE_TEXT, type DisplayPolicy } from '../domain/display';
import { isExerciseId } from '../domain/ids';
import { isTerminal, type ChatMessageRef, type IncidentState } from '../domain/incident';
import { injectMessage, type ScheduledInject } from '../domain/scenario';
import { alertSignal, stateQuery } from '../workflows/definitions';
import type { AuditEvent, AuditSink } from './audit-sink';
import type { ApprovalAsk, Escalation, Notifier } from './notifier';
import type { StepInput, StepOutcome } from './step';

/** One inject of a scenario drill, as the scenario workflow hands it over. */
export interface InjectDelivery {
  scenarioRunId: string;
  scenarioId: string;
  incidentId: string;
  /** who started the drill: the facilitator the inject comes from */
  facilitator: string;
  n: number;
  total: number;
  inject: ScheduledInject;
  /** an `alert` inject's further alert */
  alert?: Alert;
}

export type InjectResult = { delivered: true } | { delivered: false; reason: string };

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
    /** Appends in order; a retried batch is harmless (the sink drops records it already has). */
    async recordAudit(events: AuditEvent[]): Promise<void> {
      if (deps.audit.appendAll) await deps.audit.appendAll(events);
      else for (const event of events) await deps.audit.append(event);
    },
    /**
     * A scenario's inject, into its exercise incident (never any other): the further alert of an
     * `alert` inject attached, the inject's text posted to the responders, and the inject on the
     * audit log. Safe to retry: the incident attaches a delivery id once and the record's id is
     * the inject's; a post may repeat. A drill already closed takes no more injects.
     */
    async deliverInject(d: InjectDelivery): Promise<InjectResult> {
      if (!isExerciseId(d.incidentId)) throw ApplicationFailure.nonRetryable(`${d.incidentId} is not an exercise: injects go to drills only`, 'NotAnExercise');
      const handle = Context.current().client.workflow.getHandle(d.incidentId);
      const state = await handle.query(stateQuery);
      if (isTerminal(state.status)) return { delivered: false, reason: `the drill is ${state.status}` };
      if (d.alert) await handle.signal(alertSignal, d.alert);
      const redact = redactorFor(state.alerts, policy);
      await deps.notifier.post(d.incidentId, redact(injectMessage(d.inject, d.n, d.total)));
      await deps.audit.append({
        id: `${d.scenarioRunId}/inject-${d.n}`,
        who: d.facilitator,
        what: 'drill.inject',
        when: new Date().toISOString(),
        where: 'worker',
        why: { incident: d.incidentId, reason: `scenario ${d.scenarioId}, inject ${d.n} of ${d.total}` },
        correlationId: d.incidentId,
        details: { scenario: d.scenarioId, n: d.n, kind: d.inject.kind, after: d.inject.after },
      });
      return { delivered: true };
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
