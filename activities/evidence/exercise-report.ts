/**
 * An exercise report kept as evidence: the Markdown and HTML report and its measurement, written as
 * an evidence snapshot of the exercise (content-addressed, with a manifest) and anchored on the audit
 * log like every snapshot, so `tourniquet evidence verify <exercise>` checks its hashes.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { exerciseReportHtml, exerciseReportMarkdown, measureDrill, type DrillMeasurement } from '../../domain/exercise-report';
import { isExerciseId } from '../../domain/ids';
import type { IncidentState, TimelineEntry } from '../../domain/incident';
import type { ScenarioProgress } from '../../domain/scenario';
import type { AuditSink } from '../audit-sink';
import { SNAPSHOT_EVENT } from './anchors';
import { writeSnapshot } from './snapshot';
import type { EvidenceStore } from './store';

export interface StoredExerciseReport {
  snapshotId: string;
  manifestHash: string;
  measurement: DrillMeasurement;
}

export async function storeExerciseReport(
  deps: { store: EvidenceStore; audit: AuditSink },
  drill: { state: IncidentState; timeline: TimelineEntry[]; runId: string; by: string; scenario?: ScenarioProgress },
): Promise<StoredExerciseReport> {
  const { state, timeline } = drill;
  if (!isExerciseId(state.id)) throw new Error(`${state.id} is not an exercise; reports are for drills`);
  const measurement = measureDrill(state, timeline);
  const markdown = exerciseReportMarkdown(state, timeline, measurement, drill.scenario);
  const at = new Date().toISOString();
  // Named by its content: the same drill reported twice (nothing new) is the same snapshot.
  const snapshotId = `exercise-report-${createHash('sha256').update(markdown).digest('hex').slice(0, 16)}`;
  const text = (s: string) => ({ bytes: new Uint8Array(Buffer.from(s, 'utf8')) });
  const written = await writeSnapshot(deps.store, {
    incidentId: state.id,
    snapshotId,
    createdAt: at,
    artifacts: [
      { name: 'exercise-report.md', collector: 'exercise.report', source: state.id, collectedAt: at, content: text(markdown) },
      { name: 'exercise-report.html', collector: 'exercise.report', source: state.id, collectedAt: at, content: text(exerciseReportHtml(state, timeline, measurement, drill.scenario)) },
      { name: 'exercise-measurement', collector: 'exercise.measurement', source: state.id, collectedAt: at, content: { json: measurement } },
    ],
    custody: { collectedBy: drill.by, host: hostname(), at, why: { incident: state.id, step: '-', label: 'exercise report' }, workflow: { id: state.id, runId: drill.runId }, store: deps.store.location },
  });
  await deps.audit.append({
    id: `evidence/${state.id}/${snapshotId}`,
    who: drill.by,
    what: SNAPSHOT_EVENT,
    when: at,
    where: `${hostname()}:${process.pid}`,
    why: { incident: state.id, step: '-', reason: 'exercise report' },
    correlationId: state.id,
    details: { snapshotId, manifestHash: written.manifestHash, merkleRoot: written.manifest.merkleRoot, artifacts: written.manifest.artifacts.length },
  });
  return { snapshotId, manifestHash: written.manifestHash, measurement };
}
