/**
 * reviewWorkflow: the post-incident review of one resolved incident. It reads what the incident
 * recorded (pre-fill, as a person may see it), waits for the responders' text and findings — each
 * finding starts a follow-up action (follow-up.ts) with an owner and a due date — reminds before
 * the review is due and escalates every day it is overdue, and ends when it is finalised: the
 * Markdown text is stored as evidence (hashed, in the incident's manifest chain) and its hash kept.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AuditEvent } from '../activities/audit-sink';
import { markDueDone, nextDueAction, noProgress, type DueProgress } from '../domain/due-schedule';
import { parseDurationMs } from '../domain/duration';
import { rejectFollowUp } from '../domain/follow-up';
import { noSubject } from '../domain/decision-subjects';
import {
  rejectFinalise,
  rejectReviewEdit,
  reviewDueAt,
  prefillFrom,
  reviewMarkdown,
  type ReviewFinal,
  type ReviewFinding,
  type ReviewPrefill,
  type ReviewStatus,
  type ReviewText,
  type ReviewView,
} from '../domain/review';
import { ACTIVITY_HEARTBEAT_TIMEOUT } from './activity-heartbeat';
import { DecisionGuard } from './decision-guard';
import { startFollowUp } from './follow-up-start';
import { historyFull, outbox } from './outbox';
import type { IncidentState } from '../domain/incident';
import {
  addFindingUpdate,
  editReviewUpdate,
  finaliseReviewUpdate,
  reviewQuery,
  type CarriedReview,
  type ReviewInput,
  type ReviewSettings,
} from './review-definitions';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '5s', maximumInterval: '10 minutes' },
  scheduleToCloseTimeout: '1 day',
});

const HISTORY_LIMIT = 2_000;

export async function reviewWorkflow(input: ReviewInput): Promise<ReviewView> {
  const carried = input.carried;
  const nowIso = () => new Date().toISOString();
  let settings: ReviewSettings | undefined = carried?.settings ?? input.settings;
  let prefill: ReviewPrefill | undefined = carried?.prefill;
  const text: ReviewText = carried?.text ?? { rootCause: '', helped: '', hurt: '' };
  const findings: ReviewFinding[] = carried?.findings ?? [];
  let progress: DueProgress = carried?.progress ?? noProgress();
  let final: ReviewFinal | undefined;
  const changes: ReviewView['changes'] = carried?.changes ?? [];
  const decisions = new DecisionGuard(carried?.usedGrants);
  decisions.load(acts.decisionKeys());
  let woken = false;
  let finalising = false;

  const audit = outbox<AuditEvent>((batch) => acts.recordAudit(batch));
  function record(what: string, message: string, by: string, why: Partial<AuditEvent['why']> = {}, where = 'worker'): void {
    const at = nowIso();
    changes.push({ at, by, what, message });
    audit.push({ id: `${input.id}/${changes.length}`, who: by, what, when: at, where, why: { incident: input.incidentId, ...why }, correlationId: input.id, details: { message } });
    woken = true;
  }

  const dueAt = () =>
    input.due ? new Date(Date.parse(input.resolvedAt) + parseDurationMs(input.due.within)!).toISOString() : settings ? reviewDueAt(input.resolvedAt, input.severity, settings.dueDays) : input.resolvedAt;
  const status = (): ReviewStatus => (final ? 'final' : !prefill ? 'starting' : Date.now() >= Date.parse(dueAt()) ? 'overdue' : 'open');
  const draft = () => ({ id: input.id, incidentId: input.incidentId, owner: input.owner, dueAt: dueAt(), ...(prefill ? { prefill } : {}), ...text, findings });
  const view = (): ReviewView => ({ ...draft(), status: status(), ...(final ? { final } : {}), changes, asOf: nowIso() });

  const mustBeOpen = () => {
    if (!prefill) throw new Error('the review is opening: reading the incident; try again in a moment');
    if (final) throw new Error(`the review was finalised by ${final.by} on ${final.at.slice(0, 10)}`);
    if (finalising) throw new Error('the review is being finalised');
  };

  setHandler(reviewQuery, view);

  setHandler(
    editReviewUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'review.edit', subject: noSubject() });
      const { by, via } = got instanceof Promise ? await got : got;
      const edited = (['rootCause', 'helped', 'hurt'] as const).filter((f) => req[f] !== undefined);
      for (const f of edited) text[f] = req[f]!;
      record('review.edited', `${edited.join(', ')} written by ${by}`, by, {}, via);
      return view();
    },
    {
      validator: (req) => {
        mustBeOpen();
        const why = rejectReviewEdit(req);
        if (why) throw new Error(why);
        decisions.checkOrDefer(req.proof, { action: 'review.edit', subject: noSubject() });
      },
    },
  );

  setHandler(
    addFindingUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'review.finding', subject: noSubject() });
      const { by, via } = got instanceof Promise ? await got : got;
      // The key is taken before the start is awaited: two findings at once get two keys.
      const key = `f${findings.length + 1}`;
      const finding: ReviewFinding = { key, text: req.text.trim(), owner: req.owner, dueAt: req.dueAt, followUpId: '', by, at: nowIso() };
      findings.push(finding);
      finding.followUpId = await startFollowUp({ key, origin: input.id, title: finding.text, owner: req.owner, dueAt: req.dueAt, createdBy: by });
      record('review.finding', `finding ${key} → follow-up ${finding.followUpId} (owner ${req.owner}, due ${req.dueAt})`, by, {}, via);
      return view();
    },
    {
      validator: (req) => {
        mustBeOpen();
        const why = rejectFollowUp({ title: req.text, owner: req.owner, dueAt: req.dueAt });
        if (why) throw new Error(why);
        decisions.checkOrDefer(req.proof, { action: 'review.finding', subject: noSubject() });
      },
    },
  );

  setHandler(
    finaliseReviewUpdate,
    async (req) => {
      const got = decisions.acceptChecked(req, { action: 'review.finalise', subject: noSubject() });
      const { by, via } = got instanceof Promise ? await got : got;
      finalising = true;
      try {
        const at = nowIso();
        const markdown = reviewMarkdown({ ...draft(), finalisedBy: by, finalisedAt: at });
        const stored = await acts.storeReviewEvidence({ reviewId: input.id, incidentId: input.incidentId, markdown, at, by });
        final = { by, at, markdown, ...stored };
        record('review.finalised', `finalised by ${by}; stored as evidence ${stored.snapshotId} (sha256 ${stored.sha256.slice(0, 16)}…)`, by, {}, via);
        return view();
      } finally {
        finalising = false;
      }
    },
    {
      validator: (req) => {
        mustBeOpen();
        const why = rejectFinalise({ rootCause: text.rootCause, final });
        if (why) throw new Error(why);
        decisions.checkOrDefer(req.proof, { action: 'review.finalise', subject: noSubject() });
      },
    },
  );

  if (!settings) settings = await acts.reviewSettings();
  if (!prefill) {
    const clock = await acts.reviewClock(input.incidentId);
    prefill = input.incident
      ? prefillFrom(input.incident.state, input.incident.timeline, clock, settings.display)
      : prefillFrom(blankIncident(input), [], clock, settings.display);
    const rule = input.due ? `${input.due.level}: ${input.due.within}` : `${input.severity}: ${settings.dueDays[input.severity]} days`;
    record('review.opened', `due ${dueAt().slice(0, 10)} (${rule} after resolution); owner ${input.owner}`, 'worker');
  }
  const since = Date.parse(input.resolvedAt);

  while (!final) {
    const { due, next } = nextDueAction(Date.parse(dueAt()), settings.reminderDays, progress, since, Date.now());
    if (due) {
      const notice = { followUpId: input.id, incidentId: input.incidentId, owner: input.owner, dueAt: dueAt().slice(0, 10), at: new Date(due.at).toISOString(), kind: 'review' as const };
      if (due.kind === 'remind') await acts.remindFollowUp({ ...notice, days: due.daysBefore });
      else await acts.escalateFollowUp({ ...notice, days: due.daysOverdue, ...(settings.escalationGroup ? { group: settings.escalationGroup } : {}) });
      progress = markDueDone(progress, due, settings.reminderDays);
      continue;
    }
    if (historyFull(HISTORY_LIMIT) && !finalising) {
      await condition(() => allHandlersFinished() && audit.quiet());
      const next: CarriedReview = { settings, prefill, text, findings, progress, changes, usedGrants: decisions.carry() };
      // The incident's record is in the pre-fill: the next run does not carry it twice.
      return continueAsNew<typeof reviewWorkflow>({ ...input, incident: undefined, carried: next });
    }
    woken = false;
    const wake = () => woken || final !== undefined;
    if (next === undefined) await condition(wake);
    else await condition(wake, Math.max(1, next - Date.now()));
  }
  await condition(() => allHandlersFinished() && audit.quiet());
  return view();
}

/** A review started without the incident's record (by hand): what its input says, nothing more. */
function blankIncident(input: ReviewInput): IncidentState {
  return {
    id: input.incidentId,
    title: '',
    severity: input.severity,
    status: 'resolved',
    openedAt: input.resolvedAt,
    firstObservedAt: input.resolvedAt,
    resolvedAt: input.resolvedAt,
    requester: 'manual',
    alerts: [],
    alertCount: 0,
    resolvedAlerts: 0,
    steps: [],
    escalated: false,
    notes: 0,
  };
}
