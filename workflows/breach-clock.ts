/**
 * breachClockWorkflow: the HIPAA breach-notification clocks of one incident. It computes every
 * obligation from the facts with domain/hipaa, sleeps on durable timers until the next reminder
 * or deadline, reminds and escalates through activities, and closes only when every notice is
 * recorded as sent or a documented risk assessment concludes that none is required. It outlives
 * the incident that started it (parent-close policy ABANDON).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from './activity-heartbeat';
import {
  calendarDateOf,
  daysLeft,
  isCalendarDate,
  dueActions,
  markDone,
  obligationsFor,
  rejectRiskAssessment,
  rejectStatement,
  requiresNotification,
  yearOf,
  type BreachFacts,
  type ClockAction,
  type ClockSettings,
  type Obligation,
  type ObligationProgress,
  type RiskAssessment,
} from '../domain/hipaa';
import {
  clockDiscoveryYearKey,
  clockNextDeadlineKey,
  clockQuery,
  clockStatusKey,
  recordFactsUpdate,
  recordLawEnforcementDelayUpdate,
  recordNoticeSentUpdate,
  recordRiskAssessmentUpdate,
  correctDiscoveryUpdate,
  type BreachClockInput,
  type CarriedClock,
  type ClockChange,
  type ClockStatus,
  type ClockView,
  type FactsChange,
  type NoticeRecord,
  type ObligationView,
} from './breach-clock-definitions';
import { assessmentAction, assessmentSubject, noSubject, noticeSubject } from '../domain/decision-subjects';
import { DecisionGuard } from './decision-guard';
import { auditOutbox, historyFull } from './outbox';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  // A reminder that cannot be delivered now is still worth delivering later: retry for a day.
  retry: { initialInterval: '5s', maximumInterval: '10 minutes' },
  scheduleToCloseTimeout: '1 day',
});

const DEFAULT_HISTORY_LIMIT = 5_000;
const DAY_MS = 86_400_000;

function initialFacts(input: BreachClockInput): BreachFacts {
  return {
    discoveredAt: input.discoveredAt,
    affected: input.facts?.affected ?? null,
    byState: input.facts?.byState ?? {},
    insufficientContact: input.facts?.insufficientContact ?? 0,
    lawEnforcement: [],
  };
}

function rejectFacts(change: FactsChange): string | undefined {
  const count = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (change.affected !== undefined && change.affected !== null && !count(change.affected)) return 'affected must be a whole number';
  if (change.insufficientContact !== undefined && !count(change.insufficientContact)) return 'insufficientContact must be a whole number';
  for (const [state, n] of Object.entries(change.byState ?? {})) {
    if (!/^[A-Z]{2}$/.test(state)) return `jurisdiction ${state}: use its two-letter code`;
    if (!count(n)) return `${state}: the count must be a whole number`;
  }
  return undefined;
}

/** Deadlines before → after, for the audit record of a recomputation. */
function deadlineChanges(before: Obligation[], after: Obligation[]): string {
  const old = new Map(before.map((o) => [o.id, o.deadline]));
  const now = new Map(after.map((o) => [o.id, o.deadline]));
  const lines = [
    ...after.filter((o) => old.get(o.id) !== o.deadline).map((o) => (old.has(o.id) ? `${o.id} ${old.get(o.id)} → ${o.deadline}` : `+${o.id} ${o.deadline}`)),
    ...before.filter((o) => !now.has(o.id)).map((o) => `-${o.id}`),
  ];
  return lines.length > 0 ? lines.join('; ') : 'deadlines unchanged';
}

export async function breachClockWorkflow(input: BreachClockInput): Promise<ClockView> {
  const nowIso = () => new Date().toISOString();
  const carried = input.carried;
  // A drill's clock may run compressed; a real clock's time is the workflow's own, unchanged.
  const scale = input.exercise?.timeScale ?? 1;
  const origin = carried?.exerciseOrigin ?? Date.now();
  const clockNow = () => (scale === 1 ? Date.now() : origin + (Date.now() - origin) * scale);
  // Until the settings are read (one activity), say so rather than leave the query unknown.
  setHandler(clockQuery, () => {
    throw new Error('the clock is starting: reading its settings');
  });
  const settings: ClockSettings = carried?.settings ?? input.settings ?? (await acts.clockSettings());
  const facts: BreachFacts = carried?.facts ?? initialFacts(input);
  const notices: NoticeRecord[] = carried?.notices ?? [];
  const progress: Record<string, ObligationProgress> = carried?.progress ?? {};
  const changes: ClockChange[] = carried?.changes ?? [];
  let riskAssessment: RiskAssessment | undefined = carried?.riskAssessment;
  const decisions = new DecisionGuard(carried?.usedGrants);
  // From the workers' configuration, asked again on each run, so a rotated key reaches old clocks.
  // Not awaited: the handlers below answer at once, and check a decision when the keys are here.
  if (patched('decision-keys')) decisions.load(acts.decisionKeys());
  let obligations = obligationsFor(facts, settings);
  let discoveryDate = calendarDateOf(facts.discoveredAt, settings.timeZone);
  let woken = false;

  const audits = auditOutbox((batch) => acts.recordAudit(batch));
  function record(what: string, message: string, by: string, details: Record<string, unknown> = {}, where = 'worker'): void {
    const at = nowIso();
    changes.push({ at, by, what, message });
    audits.push({ who: by, what, when: at, where, why: { incident: input.incidentId }, correlationId: input.id, details: { message, ...details } });
    woken = true;
  }

  const sentIds = () => new Set(notices.map((n) => n.obligationId));
  const notificationRequired = () => requiresNotification(riskAssessment);
  const open = () => (notificationRequired() ? obligations.filter((o) => !sentIds().has(o.id)) : []);
  const closed = () => open().length === 0;

  function status(): ClockStatus {
    if (!notificationRequired()) return 'closed-no-notification';
    const pending = open();
    if (pending.length === 0) return 'closed';
    return pending.some((o) => clockNow() >= o.dueAt) ? 'overdue' : 'open';
  }

  function view(): ClockView {
    const now = clockNow();
    const sent = sentIds();
    const obligationViews: ObligationView[] = obligations.map((o) => ({
      ...o,
      status: sent.has(o.id) ? 'sent' : !notificationRequired() ? 'not-required' : now >= o.dueAt ? 'overdue' : 'pending',
      daysLeft: daysLeft(o, now),
    }));
    const next = open()[0];
    return {
      id: input.id,
      incidentId: input.incidentId,
      status: status(),
      discoveryDate,
      settings,
      facts,
      obligations: obligationViews,
      notices,
      ...(riskAssessment ? { riskAssessment } : {}),
      changes,
      ...(next ? { nextDeadline: new Date(next.dueAt).toISOString() } : {}),
      asOf: new Date(now).toISOString(),
    };
  }

  function publish(): void {
    const next = open()[0];
    upsertSearchAttributes([
      { key: clockStatusKey, value: status() },
      { key: clockNextDeadlineKey, value: next ? new Date(next.dueAt) : null },
      { key: clockDiscoveryYearKey, value: yearOf(discoveryDate) },
    ]);
  }

  function recompute(what: string, message: string, by: string, details: Record<string, unknown> = {}, where = 'worker'): void {
    const before = obligations;
    obligations = obligationsFor(facts, settings);
    record(what, `${message}: ${deadlineChanges(before, obligations)}`, by, details, where);
    publish();
  }

  // ---- updates: each is validated, audited, and wakes the loop to re-plan its timers ----------

  const mustBeOpen = () => {
    if (closed()) throw new Error(`the clock is ${status()}`);
  };

  setHandler(clockQuery, view);

  setHandler(
    recordFactsUpdate,
    async ({ proof, by: legacyBy, reason, ...change }) => {
      const got = decisions.acceptChecked({ proof, by: legacyBy }, { action: 'clock.facts', subject: noSubject() });
      // Awaited only while the keys are still being read: an await would let another update run first.
      const { by, via } = got instanceof Promise ? await got : got;
      if (change.affected !== undefined) facts.affected = change.affected;
      if (change.byState) facts.byState = { ...facts.byState, ...change.byState };
      if (change.insufficientContact !== undefined) facts.insufficientContact = change.insufficientContact;
      recompute('clock.facts', `facts recorded (affected ${facts.affected ?? 'unknown'}${reason ? `; ${reason}` : ''})`, by, {
        affected: facts.affected,
        byState: facts.byState,
        insufficientContact: facts.insufficientContact,
      }, via);
      return view();
    },
    {
      validator: ({ proof, by: _legacy, ...change }) => {
        mustBeOpen();
        const why = rejectFacts(change);
        if (why) throw new Error(why);
        decisions.checkOrDefer(proof, { action: 'clock.facts', subject: noSubject() });
      },
    },
  );

  setHandler(
    recordLawEnforcementDelayUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'clock.delay', subject: noSubject() });
      // Awaited only while the keys are still being read: an await would let another update run first.
      const { by, via } = got instanceof Promise ? await got : got;
      const { statement } = req;
      facts.lawEnforcement.push(statement);
      recompute('clock.law-enforcement-delay', `45 CFR 164.412 ${statement.form} statement of ${statement.statedOn} (${statement.agency})`, by, {
        form: statement.form,
        statedOn: statement.statedOn,
        until: statement.until,
        official: statement.official,
        agency: statement.agency,
        reference: statement.reference,
      }, via);
      return view();
    },
    {
      validator: ({ proof, statement }) => {
        mustBeOpen();
        const why = statement ? rejectStatement(statement) : 'a statement is required';
        if (why) throw new Error(why);
        decisions.checkOrDefer(proof, { action: 'clock.delay', subject: noSubject() });
      },
    },
  );

  setHandler(
    recordNoticeSentUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'clock.notice', subject: noticeSubject(req.obligationId) });
      // Awaited only while the keys are still being read: an await would let another update run first.
      const { by, via } = got instanceof Promise ? await got : got;
      const { obligationId, sentOn, evidence } = req;
      const ob = obligations.find((o) => o.id === obligationId)!;
      notices.push({
        obligationId,
        kind: ob.kind,
        notifies: ob.notifies,
        rule: ob.rule,
        deadline: ob.deadline,
        sentOn,
        evidence,
        by,
        recordedAt: nowIso(),
        late: sentOn > ob.deadline,
      });
      record('clock.notice-sent', `${obligationId} sent ${sentOn} (deadline ${ob.deadline}${sentOn > ob.deadline ? ', LATE' : ''})`, by, { obligation: obligationId, evidence }, via);
      publish();
      return view();
    },
    {
      validator: ({ proof, obligationId, sentOn, evidence }) => {
        if (!evidence?.trim()) throw new Error('164.414(b): a reference to the evidence of the notice is required');
        if (!isCalendarDate(sentOn)) throw new Error('sentOn must be a real calendar date (YYYY-MM-DD)');
        if (sentOn < discoveryDate) throw new Error(`sentOn ${sentOn} is before discovery (${discoveryDate})`);
        const ob = obligations.find((o) => o.id === obligationId);
        if (!ob) throw new Error(`no obligation ${obligationId}; open: ${open().map((o) => o.id).join(', ') || 'none'}`);
        if (sentIds().has(obligationId)) throw new Error(`${obligationId} is already recorded as sent`);
        decisions.checkOrDefer(proof, { action: 'clock.notice', subject: noticeSubject(obligationId) });
      },
    },
  );

  setHandler(
    correctDiscoveryUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'clock.discovery', subject: noSubject() });
      // Awaited only while the keys are still being read: an await would let another update run first.
      const { by, via } = got instanceof Promise ? await got : got;
      const before = discoveryDate;
      facts.discoveredAt = req.discoveredAt;
      discoveryDate = calendarDateOf(facts.discoveredAt, settings.timeZone);
      recompute('clock.discovery', `45 CFR 164.404(a)(2): discovery corrected ${before} → ${discoveryDate} (${req.reason.trim()})`, by, { discoveredAt: req.discoveredAt, before, reason: req.reason.trim() }, via);
      return view();
    },
    {
      validator: ({ proof, discoveredAt, reason }) => {
        mustBeOpen();
        if (!reason?.trim()) throw new Error('a discovery correction needs its reason (what shows the breach was, or should have been, known then)');
        let corrected: string;
        try {
          corrected = calendarDateOf(discoveredAt, settings.timeZone);
        } catch {
          throw new Error('discoveredAt must be an ISO date or date-time');
        }
        if (Date.parse(discoveredAt.length === 10 ? `${discoveredAt}T00:00:00Z` : discoveredAt) > clockNow()) throw new Error(`discoveredAt ${discoveredAt} is in the future`);
        if (corrected === discoveryDate) throw new Error(`discovery is already ${discoveryDate}`);
        if (corrected > discoveryDate) {
          throw new Error(`45 CFR 164.404(a)(2): discovery is the first day the breach was known; it can move earlier than ${discoveryDate}, not later`);
        }
        decisions.checkOrDefer(proof, { action: 'clock.discovery', subject: noSubject() });
      },
    },
  );

  setHandler(
    recordRiskAssessmentUpdate,
    async (req) => {
      const conclusion = req.assessment.conclusion;
      const got = decisions.acceptChecked(req, { action: assessmentAction(conclusion), subject: assessmentSubject(conclusion) });
      // Awaited only while the keys are still being read: an await would let another update run first.
      const { by, via } = got instanceof Promise ? await got : got;
      const { assessment } = req;
      riskAssessment = assessment;
      const closes = !requiresNotification(assessment);
      record(
        'clock.risk-assessment',
        closes
          ? '45 CFR 164.402(2): low probability of compromise documented; no notification required (record kept, 164.414(b))'
          : '45 CFR 164.402(2): notification required',
        by,
        { ...assessment },
        via,
      );
      publish();
      return view();
    },
    {
      validator: ({ proof, assessment }) => {
        mustBeOpen();
        const why = assessment ? rejectRiskAssessment(assessment) : 'an assessment is required';
        if (why) throw new Error(why);
        // Concluding that no notification is required closes the clock: the privacy officer's call.
        decisions.checkOrDefer(proof, { action: assessmentAction(assessment.conclusion), subject: assessmentSubject(assessment.conclusion) });
      },
    },
  );

  async function perform(action: ClockAction): Promise<void> {
    const ob = obligations.find((o) => o.id === action.obligationId)!;
    const notice = {
      clockId: input.id,
      incidentId: input.incidentId,
      obligation: { id: ob.id, kind: ob.kind, notifies: ob.notifies, deadline: ob.deadline, rule: ob.rule },
      at: new Date(action.at).toISOString(),
      ...(scale !== 1 ? { exercise: true } : {}),
    };
    if (action.kind === 'remind') await acts.remindClock({ ...notice, days: daysLeft(ob, clockNow()) });
    else await acts.escalateClock({ ...notice, days: action.daysOverdue + 1 });
    // The deadline may have moved while the activity ran; the mark belongs to the one acted on.
    markDone(progress, action, ob, settings.reminderDays, settings.timeZone);
  }

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;

  async function carryOn(): Promise<never> {
    await condition(() => allHandlersFinished() && audits.quiet());
    const next: CarriedClock = {
      settings,
      facts,
      notices,
      progress,
      changes,
      ...(riskAssessment ? { riskAssessment } : {}),
      usedGrants: decisions.carry(),
      ...(scale !== 1 ? { exerciseOrigin: origin } : {}),
    };
    return continueAsNew<typeof breachClockWorkflow>({ ...input, carried: next });
  }

  // ---- main: sleep until the next reminder or deadline, or until an update changes the plan ---

  // A person's start (not an incident's) carries their grant: a forged one runs no clock.
  let startedBy = 'worker';
  if (!carried && input.started) {
    startedBy = (await decisions.acceptInput({ proof: input.started.proof }, { action: 'clock.start', subject: noSubject() })).by;
  }
  if (!carried) {
    record('clock.started', `discovered ${discoveryDate}; ${obligations.map((o) => `${o.id} by ${o.deadline}`).join(', ')}${input.started ? ` (started by ${startedBy}: ${input.started.reason})` : ''}`, startedBy, {
      role: settings.role,
      timeZone: settings.timeZone,
    });
  }
  publish();

  // A drill's clock ends a day past its last open deadline: the first overdue escalation is
  // rehearsed, then it stops rather than escalate daily for good. A real clock never ends so.
  const exerciseEnd = () => (scale === 1 || open().length === 0 ? undefined : Math.max(...open().map((o) => o.dueAt)) + DAY_MS);
  let exerciseEnded = false;
  while (!closed()) {
    const now = clockNow();
    const end = exerciseEnd();
    const { due, next } = dueActions(open(), progress, settings.reminderDays, settings.timeZone, now);
    for (const action of due) await perform(action);
    const over = end !== undefined && now >= end;
    if (due.length > 0) {
      publish(); // an escalation turns the clock overdue
      if (!over) continue;
    }
    // What was due is done first, so a drill's clock that a slow worker finds past its end still escalates once.
    if (over) {
      exerciseEnded = true;
      break;
    }
    if (historyFull(historyLimit)) await carryOn();
    woken = false;
    const wake = () => woken || closed();
    const wakeAt = end === undefined ? next : next === undefined ? end : Math.min(next, end);
    if (wakeAt === undefined) await condition(wake);
    else await condition(wake, Math.max(1, Math.ceil((wakeAt - now) / scale)));
  }

  if (exerciseEnded) {
    record('clock.exercise-ended', `exercise: a day past the last deadline; ${notices.length} notice(s) recorded, ${open().length} not (${open().map((o) => o.id).join(', ')})`, 'worker');
    publish();
    await condition(() => allHandlersFinished() && audits.quiet());
    return view();
  }
  record(
    'clock.closed',
    notificationRequired() ? `every notice recorded as sent (${notices.length})` : 'closed without notification after the risk assessment',
    'worker',
  );
  publish();
  await condition(() => allHandlersFinished() && audits.quiet());
  return view();
}
