/**
 * followUpWorkflow: one follow-up action, from the finding (or drill, or dependency) that made it
 * until its owner closes it with evidence of the work. It sleeps on durable timers until the next
 * reminder, reminds the owner before the due date, and once overdue escalates every day until it
 * is closed. Reassigning or rescheduling re-plans the reminders; every change is audited with who
 * and why. It outlives what started it (parent-close policy ABANDON).
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AuditEvent } from '../activities/audit-sink';
import { markDueDone, nextDueAction, noProgress, type DueAction, type DueProgress } from '../domain/due-schedule';
import { dueInstant, rejectClosure, rejectDueAt, rejectFollowUp, rejectOwner, type FollowUpClosure, type FollowUpStatus, type FollowUpView } from '../domain/follow-up';
import { noSubject } from '../domain/decision-subjects';
import { incidentOfOrigin } from '../domain/ids';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from './activity-heartbeat';
import { DecisionGuard } from './decision-guard';
import {
  closeFollowUpUpdate,
  followUpDueKey,
  followUpOwnerKey,
  followUpQuery,
  followUpStatusKey,
  reassignFollowUpUpdate,
  rescheduleFollowUpUpdate,
  type CarriedFollowUp,
  type FollowUpInput,
  type FollowUpSettings,
} from './follow-up-definitions';
import { historyFull, outbox } from './outbox';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  // A reminder that cannot be delivered now is still worth delivering later: retry for a day.
  retry: { initialInterval: '5s', maximumInterval: '10 minutes' },
  scheduleToCloseTimeout: '1 day',
});

const HISTORY_LIMIT = 2_000;

export async function followUpWorkflow(input: FollowUpInput): Promise<FollowUpView> {
  const carried = input.carried;
  const nowIso = () => new Date().toISOString();
  const incidentId = incidentOfOrigin(input.origin);
  setHandler(followUpQuery, () => {
    throw new Error('the follow-up is starting: reading its settings');
  });
  // A start with a bad owner or date is a caller's bug: refuse it at once rather than remind nobody.
  const invalid = carried ? undefined : rejectFollowUp(input);
  if (invalid) throw new Error(invalid);
  const settings: FollowUpSettings = carried?.settings ?? input.settings ?? (await acts.followUpSettings());
  let owner = carried?.owner ?? input.owner;
  let dueAt = carried?.dueAt ?? input.dueAt;
  let since = carried?.since ?? Date.now();
  let progress: DueProgress = carried?.progress ?? noProgress();
  let remindersSent = carried?.remindersSent ?? 0;
  let closure: FollowUpClosure | undefined;
  const changes: FollowUpView['changes'] = carried?.changes ?? [];
  const decisions = new DecisionGuard(carried?.usedGrants);
  decisions.load(acts.decisionKeys());
  let woken = false;

  const audit = outbox<AuditEvent>((batch) => acts.recordAudit(batch));
  let recorded = 0;
  function record(what: string, message: string, by: string, why: Partial<AuditEvent['why']> = {}, where = 'worker'): void {
    const at = nowIso();
    changes.push({ at, by, what, message });
    audit.push({
      // One id per record of this follow-up: a retried batch is appended once.
      id: `${input.id}/${changes.length}/${++recorded}`,
      who: by,
      what,
      when: at,
      where,
      why: { ...(incidentId ? { incident: incidentId } : {}), ...why },
      correlationId: input.id,
      details: { message, origin: input.origin },
    });
    woken = true;
  }

  const status = (): FollowUpStatus => (closure ? 'closed' : Date.now() >= dueInstant(dueAt) ? 'overdue' : 'open');
  const view = (): FollowUpView => ({
    id: input.id,
    origin: input.origin,
    ...(incidentId ? { incidentId } : {}),
    title: input.title,
    owner,
    dueAt,
    status: status(),
    remindersSent,
    escalations: progress.escalations,
    ...(closure ? { closure } : {}),
    changes,
    asOf: nowIso(),
  });
  const publish = () =>
    upsertSearchAttributes([
      { key: followUpStatusKey, value: status() },
      { key: followUpDueKey, value: new Date(dueInstant(dueAt)) },
      { key: followUpOwnerKey, value: owner },
    ]);
  const mustBeOpen = () => {
    if (closure) throw new Error(`${input.id} was closed by ${closure.by} on ${closure.at.slice(0, 10)}`);
  };
  const needsReason = (reason: string) => {
    if (!reason?.trim()) throw new Error('a change to a follow-up needs a reason');
  };

  setHandler(followUpQuery, view);

  setHandler(
    reassignFollowUpUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'follow-up.update', subject: noSubject() });
      const { by, via } = got instanceof Promise ? await got : got;
      record('follow-up.reassigned', `owner ${owner} → ${req.owner}`, by, { reason: req.reason }, via);
      owner = req.owner;
      publish();
      return view();
    },
    {
      validator: (req) => {
        mustBeOpen();
        needsReason(req.reason);
        const why = rejectOwner(req.owner);
        if (why) throw new Error(why);
        if (req.owner === owner) throw new Error(`${owner} already owns ${input.id}`);
        decisions.checkOrDefer(req.proof, { action: 'follow-up.update', subject: noSubject() });
      },
    },
  );

  setHandler(
    rescheduleFollowUpUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'follow-up.update', subject: noSubject() });
      const { by, via } = got instanceof Promise ? await got : got;
      record('follow-up.rescheduled', `due ${dueAt} → ${req.dueAt}`, by, { reason: req.reason }, via);
      dueAt = req.dueAt;
      // A new due date is a new plan: its reminders count from now, escalation starts again.
      since = Date.now();
      progress = noProgress();
      publish();
      return view();
    },
    {
      validator: (req) => {
        mustBeOpen();
        needsReason(req.reason);
        const why = rejectDueAt(req.dueAt);
        if (why) throw new Error(why);
        if (dueInstant(req.dueAt) <= Date.now()) throw new Error(`${req.dueAt} is not in the future`);
        decisions.checkOrDefer(req.proof, { action: 'follow-up.update', subject: noSubject() });
      },
    },
  );

  setHandler(
    closeFollowUpUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'follow-up.close', subject: noSubject() });
      const { by, via } = got instanceof Promise ? await got : got;
      const late = Date.now() > dueInstant(dueAt);
      closure = { by, at: nowIso(), evidence: req.evidence.trim(), note: req.note.trim() };
      record('follow-up.closed', `closed by ${by}${late ? ' (after its due date)' : ''}; evidence: ${closure.evidence}`, by, { reason: closure.note }, via);
      publish();
      return view();
    },
    {
      validator: (req) => {
        mustBeOpen();
        const why = rejectClosure(req);
        if (why) throw new Error(why);
        decisions.checkOrDefer(req.proof, { action: 'follow-up.close', subject: noSubject() });
      },
    },
  );

  async function perform(action: DueAction): Promise<void> {
    const notice = { followUpId: input.id, incidentId, owner, dueAt, at: new Date(action.at).toISOString() };
    if (action.kind === 'remind') {
      await acts.remindFollowUp({ ...notice, days: action.daysBefore });
      remindersSent += 1;
    } else await acts.escalateFollowUp({ ...notice, days: action.daysOverdue, ...(settings.escalationGroup ? { group: settings.escalationGroup } : {}) });
    progress = markDueDone(progress, action, settings.reminderDays);
  }

  if (!carried) record('follow-up.opened', `owner ${owner}, due ${dueAt}`, input.createdBy);
  publish();

  while (!closure) {
    const { due, next } = nextDueAction(dueInstant(dueAt), settings.reminderDays, progress, since, Date.now());
    if (due) {
      await perform(due);
      if (due.kind === 'escalate') publish(); // the follow-up turned overdue
      continue;
    }
    if (historyFull(HISTORY_LIMIT)) {
      await condition(() => allHandlersFinished() && audit.quiet());
      const next: CarriedFollowUp = { settings, owner, dueAt, since, progress, remindersSent, changes, usedGrants: decisions.carry() };
      return continueAsNew<typeof followUpWorkflow>({ ...input, carried: next });
    }
    woken = false;
    const wake = () => woken || closure !== undefined;
    if (next === undefined) await condition(wake);
    else await condition(wake, Math.max(1, next - Date.now()));
  }
  await condition(() => allHandlersFinished() && audit.quiet());
  return view();
}
