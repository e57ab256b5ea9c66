import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainLog } from '../../activities/audit';
import { localEvidenceStore, manifestAnchors, verifyIncidentEvidence } from '../../activities/evidence';
import { storeExerciseReport } from '../../activities/evidence/exercise-report';
import { DRILL_TARGETS, exerciseReportHtml, exerciseReportMarkdown, measureDrill } from '../../domain/exercise-report';
import type { IncidentState, TimelineEntry } from '../../domain/incident';
import { testKeys } from '../support/temporal';

const opened = '2026-03-01T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(opened) + minutes * 60_000).toISOString();

function drill(over: Partial<IncidentState> = {}): IncidentState {
  return {
    id: 'incident/exercise-abc',
    title: 'EXERCISE: drill of credential-compromise',
    severity: 'high',
    status: 'contained',
    openedAt: opened,
    firstObservedAt: opened,
    requester: 'U-facilitator',
    runbook: { id: 'credential-compromise', title: 't', contentHash: 'c'.repeat(64) },
    alerts: [],
    alertCount: 1,
    resolvedAlerts: 0,
    escalated: false,
    notes: 0,
    containedAt: at(40),
    steps: [
      {
        id: 'revoke-key',
        type: 'revokeCredentials',
        status: 'succeeded',
        summary: 'exercise: would have deactivate AKIA…',
        planHash: 'p'.repeat(64),
        approvals: [{ by: 'U-on1', decision: 'approve', justification: '<script>x</script>', at: at(20), planHash: 'p'.repeat(64) }],
      },
      { id: 'tell', type: 'notify', status: 'succeeded', approvals: [] },
    ],
    ...over,
  };
}

const timeline: TimelineEntry[] = [
  { at: opened, kind: 'incident.opened', message: 'runbook credential-compromise', actor: 'U-facilitator' },
  { at: at(3), kind: 'incident.acknowledged', message: 'acknowledged by U-on1', actor: 'U-on1' },
];

test('a drill that never acknowledged or contained misses those targets and fails', () => {
  const m = measureDrill(drill({ containedAt: undefined, steps: [] }), []);
  expect(m.timings).toEqual([
    { what: 'acknowledge', minutes: undefined, targetMinutes: 15, met: false },
    { what: 'containment', minutes: undefined, targetMinutes: 60, met: false },
  ]);
  expect(m.passed).toBe(false);
});

test('a slow approval misses its target while the rest are met', () => {
  const slow = drill();
  slow.steps[0]!.approvals[0]!.at = at(45);
  const m = measureDrill(slow, timeline);
  expect(m.timings.find((t) => t.what === 'approval of revoke-key')).toEqual({ what: 'approval of revoke-key', minutes: 45, targetMinutes: DRILL_TARGETS.high.approval, met: false });
  expect(m.passed).toBe(false);
});

test('times to acknowledge, each approval and containment against the severity targets; the reports say so and escape what people typed', () => {
  const m = measureDrill(drill(), timeline);
  expect(m.timings.map((t) => [t.what, t.minutes, t.met])).toEqual([
    ['acknowledge', 3, true],
    ['approval of revoke-key', 20, true],
    ['containment', 40, true],
  ]);
  expect(m.passed).toBe(true);
  const md = exerciseReportMarkdown(drill(), timeline, m);
  expect(md).toMatch(/^# Exercise report: credential-compromise/);
  expect(md).toContain('| containment | 40 min | 60 min | yes |');
  expect(md).toContain('| revoke-key | approve | U-on1 |');
  const html = exerciseReportHtml(drill(), [...timeline, { at: at(5), kind: 'note', message: '<script>x</script>', actor: 'U-on1' }], m);
  expect(html).toContain('<td>approval of revoke-key</td><td>20 min</td>');
  expect(html).not.toContain('<script>');
  expect(html).toContain('&#60;script&#62;');
});

describe('the report as evidence', () => {
  test('is refused for a real incident, and stored for a drill so evidence verify finds it intact', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tq-exercise-report-'));
    const store = localEvidenceStore(join(root, 'evidence'), testKeys());
    const path = join(root, 'audit.log');
    const audit = chainLog({ path });
    await expect(storeExerciseReport({ store, audit }, { state: drill({ id: 'incident/0123abcd' }), timeline, runId: 'r', by: 'alice' })).rejects.toThrow(/not an exercise/);
    const stored = await storeExerciseReport({ store, audit }, { state: drill(), timeline, runId: 'r', by: 'alice' });
    expect(stored.manifestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.measurement.passed).toBe(true);
    const check = await verifyIncidentEvidence(store, 'incident/exercise-abc', await manifestAnchors(path, 'incident/exercise-abc'));
    expect(check.status).toBe('intact');
    expect(check.snapshots.map((s) => s.snapshotId)).toEqual([stored.snapshotId]);
    expect(check.snapshots[0]!.artifacts.map((a) => a.name).sort()).toEqual(['exercise-measurement', 'exercise-report.html', 'exercise-report.md']);
    await audit.close();
  });
});

test('drill status: never drilled, drilled over a year ago and changed since are due; a recent drill of the same content is not', async () => {
  const { drillStatus } = await import('../../domain/exercise-report');
  const now = new Date('2027-03-01T00:00:00.000Z');
  const rec = (runbook: string, startedAt: string, contentHash: string) => ({ runbook, incidentId: `incident/exercise-${runbook}`, startedAt, contentHash });
  const status = drillStatus(
    [
      { id: 'a-never', contentHash: 'h1' },
      { id: 'b-old', contentHash: 'h2' },
      { id: 'c-changed', contentHash: 'h3-new' },
      { id: 'd-fine', contentHash: 'h4' },
    ],
    [rec('b-old', '2026-02-27T00:00:00.000Z', 'h2'), rec('c-changed', '2027-01-01T00:00:00.000Z', 'h3'), rec('d-fine', '2026-01-01T00:00:00.000Z', 'h4'), rec('d-fine', '2027-02-01T00:00:00.000Z', 'h4')],
    now,
  );
  expect(status.map((s) => [s.runbook, s.due, s.lastExercise?.startedAt])).toEqual([
    ['a-never', 'never exercised', undefined],
    ['b-old', 'not exercised within 365 days', '2026-02-27T00:00:00.000Z'],
    ['c-changed', 'changed since its last exercise', '2027-01-01T00:00:00.000Z'],
    ['d-fine', undefined, '2027-02-01T00:00:00.000Z'],
  ]);
});
