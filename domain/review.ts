/**
 * The post-incident review: opened when an incident resolves, due by its severity, pre-filled with
 * what the incident recorded (timeline, steps, approvals, durations, breach-clock state) as a
 * person may see it, completed by the responders (root cause, what helped, what hurt, findings),
 * and finalised into one Markdown text that is stored as evidence. Pure: the text is a function of
 * the review, so the stored text and its export are the same bytes.
 */
import type { Severity } from './severity';
import { DAY_MS } from './due-schedule';
import { displayState, displayTimeline, type DisplayPolicy } from './display';
import type { IncidentState, TimelineEntry } from './incident';

export interface ReviewPrefill {
  incidentId: string;
  /** the incident's title as shown (domain/display.ts) */
  title: string;
  severity: Severity;
  runbook?: string;
  firstObservedAt: string;
  openedAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  containedAt?: string;
  resolvedAt: string;
  resolvedBy?: string;
  resolution?: string;
  /** minutes: detect (observed → opened), acknowledge, contain and resolve (from opened) */
  durations: { detectMinutes: number; acknowledgeMinutes?: number; containMinutes?: number; resolveMinutes: number };
  steps: { id: string; type: string; status: string; summary?: string }[];
  approvals: { step: string; by: string; decision: string; at: string; justification: string }[];
  timeline: { at: string; kind: string; actor: string; message: string }[];
  clock?: ReviewClock;
}

export interface ReviewClock {
  id: string;
  status: string;
  discoveryDate: string;
  obligations: { id: string; deadline: string; status: string }[];
}

export interface ReviewFinding {
  key: string;
  text: string;
  owner: string;
  dueAt: string;
  followUpId: string;
  by: string;
  at: string;
}

export interface ReviewFinal {
  by: string;
  at: string;
  /** SHA-256 of the Markdown text, as stored */
  sha256: string;
  snapshotId: string;
  manifestKey: string;
  manifestHash: string;
  markdown: string;
}

export type ReviewStatus = 'starting' | 'open' | 'overdue' | 'final';

export interface ReviewView {
  id: string;
  incidentId: string;
  status: ReviewStatus;
  /** who answers for it: whoever resolved the incident, unless handed on */
  owner: string;
  dueAt: string;
  prefill?: ReviewPrefill;
  rootCause: string;
  helped: string;
  hurt: string;
  findings: ReviewFinding[];
  final?: ReviewFinal;
  changes: { at: string; by: string; what: string; message: string }[];
  asOf: string;
}

const minutesBetween = (from: string, to: string | undefined) => (to === undefined ? undefined : (Date.parse(to) - Date.parse(from)) / 60_000);

/** The review's pre-fill from the incident's state and timeline, as a person may see them. */
export function prefillFrom(raw: IncidentState, rawTimeline: readonly TimelineEntry[], clock: ReviewClock | undefined, policy: DisplayPolicy): ReviewPrefill {
  const state = displayState(raw, policy);
  const timeline = displayTimeline(rawTimeline, raw, policy);
  const acknowledged = timeline.find((t) => t.kind === 'incident.acknowledged');
  const resolved = [...timeline].reverse().find((t) => t.kind === 'incident.status' && t.message.endsWith('→ resolved'));
  const resolvedAt = state.resolvedAt ?? resolved?.at ?? state.openedAt;
  return {
    incidentId: state.id,
    title: state.title,
    severity: state.severity,
    ...(state.runbook ? { runbook: state.runbook.id } : {}),
    firstObservedAt: state.firstObservedAt,
    openedAt: state.openedAt,
    ...(acknowledged ? { acknowledgedAt: acknowledged.at, acknowledgedBy: acknowledged.actor } : {}),
    ...(state.containedAt ? { containedAt: state.containedAt } : {}),
    resolvedAt,
    ...(resolved ? { resolvedBy: resolved.actor } : {}),
    ...(state.resolution !== undefined ? { resolution: state.resolution } : {}),
    durations: {
      detectMinutes: Math.max(0, minutesBetween(state.firstObservedAt, state.openedAt)!),
      ...(acknowledged ? { acknowledgeMinutes: minutesBetween(state.openedAt, acknowledged.at)! } : {}),
      ...(state.containedAt ? { containMinutes: minutesBetween(state.openedAt, state.containedAt)! } : {}),
      resolveMinutes: minutesBetween(state.openedAt, resolvedAt)!,
    },
    steps: state.steps.map((s) => ({ id: s.id, type: s.type, status: s.status, ...(s.summary !== undefined ? { summary: s.summary } : {}) })),
    approvals: state.steps.flatMap((s) => s.approvals.map((a) => ({ step: s.id, by: a.by, decision: a.decision, at: a.at, justification: a.justification }))),
    timeline: timeline.map((t) => ({ at: t.at, kind: t.kind, actor: t.actor, message: t.message })),
    ...(clock ? { clock } : {}),
  };
}

export type ReviewText = Pick<ReviewView, 'rootCause' | 'helped' | 'hurt'>;

/** When the review of an incident of this severity, resolved then, is due. */
export function reviewDueAt(resolvedAt: string, severity: Severity, dueDays: Record<Severity, number>): string {
  return new Date(Date.parse(resolvedAt) + dueDays[severity] * DAY_MS).toISOString();
}

/** Why an edit is refused: something must change, and each text is bounded. */
export function rejectReviewEdit(edit: Partial<ReviewText>): string | undefined {
  const fields = (['rootCause', 'helped', 'hurt'] as const).filter((f) => edit[f] !== undefined);
  if (fields.length === 0) return 'an edit names rootCause, helped or hurt';
  for (const f of fields) {
    if (typeof edit[f] !== 'string') return `${f} must be text`;
    if (edit[f]!.length > 20_000) return `${f} is at most 20000 characters`;
  }
  return undefined;
}

/** A review is final only with a root cause: "we don't know yet" is a finding, not a review. */
export function rejectFinalise(review: Pick<ReviewView, 'rootCause' | 'final'>): string | undefined {
  if (review.final) return `the review was finalised by ${review.final.by} on ${review.final.at.slice(0, 10)}`;
  if (!review.rootCause.trim()) return 'a review is finalised with its root cause written (reviews edit --root-cause …)';
  return undefined;
}

const minutes = (n: number | undefined) => (n === undefined ? '—' : n < 120 ? `${Math.round(n)} min` : `${(n / 60).toFixed(1)} h`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const section = (title: string, body: string) => `## ${title}\n\n${body.trim() || '_Not written._'}\n`;

/** The review as Markdown: the text stored as evidence when it is finalised, and what `export` gives. */
export function reviewMarkdown(review: Omit<ReviewView, 'final' | 'changes' | 'asOf' | 'status'> & { finalisedBy?: string; finalisedAt?: string }): string {
  const p = review.prefill;
  const out: string[] = [];
  out.push(`# Post-incident review: ${p ? cell(p.title) : review.incidentId}\n`);
  out.push(
    [
      `- Incident: \`${review.incidentId}\``,
      `- Review: \`${review.id}\` (owner ${review.owner}, due ${review.dueAt.slice(0, 10)})`,
      ...(p ? [`- Severity: ${p.severity}`, `- Runbook: ${p.runbook ?? 'none'}`, `- Resolved: ${p.resolvedAt}${p.resolvedBy ? ` by ${p.resolvedBy}` : ''}`] : []),
      ...(review.finalisedBy ? [`- Finalised: ${review.finalisedAt} by ${review.finalisedBy}`] : []),
    ].join('\n') + '\n',
  );
  if (p) {
    out.push(
      section(
        'Response times',
        [
          '| Measure | From | To | Time |',
          '| --- | --- | --- | --- |',
          `| Detect | first observed ${p.firstObservedAt} | opened ${p.openedAt} | ${minutes(p.durations.detectMinutes)} |`,
          `| Acknowledge | opened | ${p.acknowledgedAt ?? 'never'} | ${minutes(p.durations.acknowledgeMinutes)} |`,
          `| Contain | opened | ${p.containedAt ?? 'never'} | ${minutes(p.durations.containMinutes)} |`,
          `| Resolve | opened | ${p.resolvedAt} | ${minutes(p.durations.resolveMinutes)} |`,
        ].join('\n'),
      ),
    );
  }
  out.push(section('Root cause', review.rootCause));
  out.push(section('What helped', review.helped));
  out.push(section('What hurt', review.hurt));
  out.push(
    section(
      'Follow-up actions',
      review.findings.length === 0
        ? ''
        : ['| Follow-up | Finding | Owner | Due |', '| --- | --- | --- | --- |', ...review.findings.map((f) => `| \`${f.followUpId}\` | ${cell(f.text)} | ${f.owner} | ${f.dueAt} |`)].join('\n'),
    ),
  );
  if (p) {
    out.push(section('Resolution', p.resolution ?? ''));
    out.push(
      section(
        'Steps',
        p.steps.length === 0 ? 'No runbook steps ran.' : ['| Step | Type | Outcome | Summary |', '| --- | --- | --- | --- |', ...p.steps.map((s) => `| ${s.id} | ${s.type} | ${s.status} | ${cell(s.summary ?? '')} |`)].join('\n'),
      ),
    );
    out.push(
      section(
        'Approvals',
        p.approvals.length === 0 ? 'No approvals were asked for.' : ['| Step | Decision | By | At | Justification |', '| --- | --- | --- | --- | --- |', ...p.approvals.map((a) => `| ${a.step} | ${a.decision} | ${a.by} | ${a.at} | ${cell(a.justification)} |`)].join('\n'),
      ),
    );
    out.push(
      section(
        'Breach-notification clock',
        p.clock
          ? [`\`${p.clock.id}\`: ${p.clock.status}, discovered ${p.clock.discoveryDate}.`, '', ...p.clock.obligations.map((o) => `- ${o.id}: due ${o.deadline}, ${o.status}`)].join('\n')
          : 'No clock ran for this incident.',
      ),
    );
    out.push(section('Timeline', ['| At | What | Who | |', '| --- | --- | --- | --- |', ...p.timeline.map((t) => `| ${t.at} | ${t.kind} | ${cell(t.actor)} | ${cell(t.message)} |`)].join('\n')));
  }
  return out.join('\n');
}
