/**
 * What a drill measured and its report. Measured from the exercise incident's own state and
 * timeline (queried from the workflow, the record of what happened): time to acknowledge, to each
 * approval, to containment, each against the severity's target. Pure, so the CLI, a report and a
 * test compute the same figures.
 */
import type { IncidentState, TimelineEntry } from './incident';
import type { ScenarioProgress } from './scenario';
import type { Severity } from './severity';

/** Targets in minutes from the incident opening, per severity. */
export interface DrillTargets {
  acknowledge: number;
  approval: number;
  containment: number;
}

export const DRILL_TARGETS: Record<Severity, DrillTargets> = {
  critical: { acknowledge: 5, approval: 15, containment: 30 },
  high: { acknowledge: 15, approval: 30, containment: 60 },
  medium: { acknowledge: 60, approval: 120, containment: 240 },
  low: { acknowledge: 240, approval: 480, containment: 1440 },
  info: { acknowledge: 1440, approval: 2880, containment: 10080 },
};

export interface Timing {
  what: string;
  /** minutes from opening; undefined when it never happened */
  minutes?: number;
  targetMinutes: number;
  met: boolean;
}

export interface DrillMeasurement {
  incidentId: string;
  runbook?: string;
  contentHash?: string;
  severity: Severity;
  openedAt: string;
  timings: Timing[];
  /** every timing met its target */
  passed: boolean;
}

const minutesBetween = (from: string, to: string) => Math.round(((Date.parse(to) - Date.parse(from)) / 60_000) * 100) / 100;

function timing(what: string, openedAt: string, at: string | undefined, targetMinutes: number): Timing {
  const minutes = at ? minutesBetween(openedAt, at) : undefined;
  return { what, minutes, targetMinutes, met: minutes !== undefined && minutes <= targetMinutes };
}

export function measureDrill(state: IncidentState, timeline: TimelineEntry[], targets: Record<Severity, DrillTargets> = DRILL_TARGETS): DrillMeasurement {
  const target = targets[state.severity];
  const acknowledged = timeline.find((e) => e.kind === 'incident.acknowledged')?.at;
  const timings = [timing('acknowledge', state.openedAt, acknowledged, target.acknowledge)];
  for (const step of state.steps) {
    const approved = step.approvals.filter((a) => a.decision === 'approve').map((a) => a.at).sort().at(-1);
    if (step.approvals.length > 0 || step.planHash) timings.push(timing(`approval of ${step.id}`, state.openedAt, approved, target.approval));
  }
  timings.push(timing('containment', state.openedAt, state.containedAt, target.containment));
  return {
    incidentId: state.id,
    runbook: state.runbook?.id,
    contentHash: state.runbook?.contentHash,
    severity: state.severity,
    openedAt: state.openedAt,
    timings,
    passed: timings.every((t) => t.met),
  };
}

const shown = (t: Timing) => (t.minutes === undefined ? 'never' : `${t.minutes} min`);

/** The exercise report as Markdown: scenario, timeline, decisions, timings against targets. */
const injectRow = (i: ScenarioProgress['injects'][number]) => [String(i.n), i.after, i.kind, i.status, i.at ?? '—', i.reason ?? ''];

/** A scenario drill's injects, when the drill ran one. */
function scenarioMarkdown(scenario: ScenarioProgress | undefined): string[] {
  if (!scenario) return [];
  return [
    '## Scenario',
    '',
    `Scenario \`${scenario.scenarioId}\` (content hash ${scenario.contentHash}).`,
    '',
    '| # | After | Inject | Status | At | Note |',
    '|---|---|---|---|---|---|',
    ...scenario.injects.map((i) => `| ${injectRow(i).join(' | ')} |`),
    '',
  ];
}

export function exerciseReportMarkdown(state: IncidentState, timeline: TimelineEntry[], m: DrillMeasurement, scenario?: ScenarioProgress): string {
  const decisions = state.steps.flatMap((s) => s.approvals.map((a) => `| ${s.id} | ${a.decision} | ${a.by} | ${a.at} | ${a.planHash.slice(0, 12)} |`));
  return [
    `# Exercise report: ${m.runbook ?? 'unknown runbook'}`,
    '',
    `- Exercise: \`${m.incidentId}\``,
    `- Runbook: ${m.runbook ?? '—'} (content hash ${m.contentHash ?? '—'})`,
    `- Severity: ${m.severity}; opened ${m.openedAt}; status ${state.status}`,
    `- Result: **${m.passed ? 'met every target' : 'missed a target'}**`,
    '',
    ...scenarioMarkdown(scenario),
    '## Timings against targets',
    '',
    '| What | Took | Target | Met |',
    '|---|---|---|---|',
    ...m.timings.map((t) => `| ${t.what} | ${shown(t)} | ${t.targetMinutes} min | ${t.met ? 'yes' : 'NO'} |`),
    '',
    '## Steps',
    '',
    ...state.steps.map((s) => `- **${s.id}** (${s.type}): ${s.status}${s.summary ? ` — ${s.summary}` : ''}${s.error ? ` — ${s.error}` : ''}`),
    '',
    '## Decisions',
    '',
    ...(decisions.length > 0 ? ['| Step | Decision | By | At | Plan |', '|---|---|---|---|---|', ...decisions] : ['None.']),
    '',
    '## Timeline',
    '',
    ...timeline.map((e) => `- ${e.at} \`${e.kind}\` ${e.actor}: ${e.message}`),
    '',
  ].join('\n');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The same report as a standalone HTML page (for auditors without a Markdown viewer). */
export function exerciseReportHtml(state: IncidentState, timeline: TimelineEntry[], m: DrillMeasurement, scenario?: ScenarioProgress): string {
  const row = (cells: string[]) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>Exercise report</title></head><body>',
    `<h1>Exercise report: ${escapeHtml(m.runbook ?? 'unknown runbook')}</h1>`,
    `<p>EXERCISE <code>${escapeHtml(m.incidentId)}</code>, severity ${escapeHtml(m.severity)}, opened ${escapeHtml(m.openedAt)}, status ${escapeHtml(state.status)}. Result: <strong>${m.passed ? 'met every target' : 'missed a target'}</strong>.</p>`,
    '<h2>Timings against targets</h2><table><tr><th>What</th><th>Took</th><th>Target</th><th>Met</th></tr>',
    ...m.timings.map((t) => row([t.what, shown(t), `${t.targetMinutes} min`, t.met ? 'yes' : 'NO'])),
    ...(scenario
      ? [
          `</table><h2>Scenario</h2><p>Scenario <code>${escapeHtml(scenario.scenarioId)}</code> (content hash ${escapeHtml(scenario.contentHash)}).</p>`,
          '<table><tr><th>#</th><th>After</th><th>Inject</th><th>Status</th><th>At</th><th>Note</th></tr>',
          ...scenario.injects.map((i) => row(injectRow(i))),
        ]
      : []),
    '</table><h2>Decisions</h2><table><tr><th>Step</th><th>Decision</th><th>By</th><th>At</th></tr>',
    ...state.steps.flatMap((s) => s.approvals.map((a) => row([s.id, a.decision, a.by, a.at]))),
    '</table><h2>Timeline</h2><ul>',
    ...timeline.map((e) => `<li>${escapeHtml(`${e.at} ${e.kind} ${e.actor}: ${e.message}`)}</li>`),
    '</ul></body></html>',
  ].join('\n');
}

/** A runbook's last drill, as `drill status` lists it. */
export interface DrillRecord {
  runbook: string;
  incidentId: string;
  startedAt: string;
  /** the runbook content the drill pinned */
  contentHash?: string;
  passed?: boolean;
}

export interface RunbookDrillStatus {
  runbook: string;
  lastExercise?: DrillRecord;
  /** why it is due: never drilled, drilled over a year ago, or changed since */
  due?: 'never exercised' | 'not exercised within 365 days' | 'changed since its last exercise';
}

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** Every runbook with its newest drill, and whether another is due (annually and after a change). */
export function drillStatus(runbooks: { id: string; contentHash: string }[], drills: DrillRecord[], now: Date): RunbookDrillStatus[] {
  return runbooks
    .map(({ id, contentHash }) => {
      const last = drills.filter((d) => d.runbook === id).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
      const due: RunbookDrillStatus['due'] = !last
        ? 'never exercised'
        : now.getTime() - Date.parse(last.startedAt) > YEAR_MS
          ? 'not exercised within 365 days'
          : last.contentHash !== contentHash
            ? 'changed since its last exercise'
            : undefined;
      return { runbook: id, ...(last ? { lastExercise: last } : {}), ...(due ? { due } : {}) };
    })
    .sort((a, b) => a.runbook.localeCompare(b.runbook));
}
