import { userInfo } from 'node:os';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { auditLogFor } from '../../activities/audit/from-config';
import { evidenceStoreFor } from '../../activities/evidence';
import { storeExerciseReport } from '../../activities/evidence/exercise-report';
import { SEVERITIES } from '../../domain/severity';
import { drillStatus, exerciseReportHtml, exerciseReportMarkdown, measureDrill } from '../../domain/exercise-report';
import { isExerciseId, scenarioRunId } from '../../domain/ids';
import type { ScenarioProgress } from '../../domain/scenario';
import { exerciseRecords, openDrillFindings, subjectFromPairs, type DrillFindingStarted } from '../../ingress/drills';
import { readRunbooks } from '../../runbooks';
import { scenarioProgressQuery } from '../../workflows/drill-scenario-definitions';
import { STEP_TYPE_NAMES } from '../../workflows/steps';
import { normaliseIncidentId, showIncident } from './incidents';
import { CliError, type CliContext } from '../context';

export function register(program: Command, ctx: () => CliContext): void {
  const drill = program.command('drill').description('rehearse a runbook: a real incident marked EXERCISE that never writes to AWS');
  drill
    .command('start <runbook-or-scenario>')
    .description('open an exercise incident of a runbook (or a scenario of one, with its timed injects); AWS steps are planned from real state, approved, never applied')
    .option('--severity <severity>', SEVERITIES.join(' | '), 'high')
    .option('--subject <key=value...>', 'the alert subject (principal, principalType, accessKeyId, kmsKeyId, ips=a,b)', [])
    .option('--clock-scale <n>', 'how much faster than the wall clock a PHI runbook\'s exercise breach clock runs (default 1440: a day a minute)')
    .action(async (runbook: string, opts: { severity: string; subject: string[]; clockScale?: string }) => {
      const clockScale = opts.clockScale === undefined ? undefined : Number(opts.clockScale);
      const started = await ctx().api().post<{ incidentId: string; scenario?: string }>('/drills', { runbook, severity: opts.severity, subject: subjectFromPairs(opts.subject), ...(clockScale !== undefined ? { clockScale } : {}) });
      console.log(started.scenario ? `${started.incidentId}  (scenario ${started.scenario}: its injects follow on their timers)` : started.incidentId);
    });
  drill
    .command('report <exercise>')
    .description('the exercise report: steps, decisions, timeline, timings against the severity targets (Markdown, or --html, or --json)')
    .option('--html', 'a standalone HTML page')
    .option('--json', 'the measurement only')
    .option('--store', 'keep it as evidence (verify with `evidence verify <exercise>`); prints the manifest hash')
    .action(async (id: string, opts: { html?: boolean; json?: boolean; store?: boolean }) => {
      const incidentId = normaliseIncidentId(id);
      if (!isExerciseId(incidentId)) throw new CliError(`${id} is not an exercise; reports are for drills`, 2);
      const { state, timeline } = await showIncident(ctx(), id);
      const scenario = await scenarioOf(await ctx().client(), incidentId);
      if (opts.store) {
        const { config } = ctx();
        const runId = (await (await ctx().client()).workflow.getHandle(incidentId).describe()).runId;
        const audit = auditLogFor(config);
        const stored = await storeExerciseReport({ store: evidenceStoreFor(config), audit }, { state, timeline, runId, by: `cli:${userInfo().username}`, ...(scenario ? { scenario } : {}) });
        await audit.close();
        console.log(`${incidentId}: report stored as evidence snapshot ${stored.snapshotId} (manifest ${stored.manifestHash})`);
        return;
      }
      const measured = measureDrill(state, timeline);
      if (opts.json) console.log(JSON.stringify(measured, null, 2));
      else console.log(opts.html ? exerciseReportHtml(state, timeline, measured, scenario) : exerciseReportMarkdown(state, timeline, measured, scenario));
    });
  drill
    .command('finding <exercise>')
    .description("a drill's finding: it becomes a follow-up action with an owner and a due date (see `follow-ups`)")
    .requiredOption('--text <text>', 'what must change')
    .requiredOption('--owner <person>', 'who does it')
    .requiredOption('--due <date>', 'ISO date (due at the end of that day, UTC) or instant')
    .action(async (id: string, o: { text: string; owner: string; due: string }) => {
      const incidentId = normaliseIncidentId(id);
      if (!isExerciseId(incidentId)) throw new CliError(`${id} is not an exercise; a real incident's findings go to its review`, 2);
      const got = await ctx().api().post<DrillFindingStarted>(`/drills/${encodeURIComponent(incidentId)}/findings`, { text: o.text, owner: o.owner, dueAt: o.due });
      console.log(`${got.followUpId}  owner ${got.owner}  due ${got.dueAt}${got.created ? '' : '  (already recorded)'}`);
    });
  drill
    .command('status')
    .description('every runbook with its last drill, its result, its open findings, and whether a drill is due (yearly, and after the runbook changed)')
    .option('--json', 'machine-readable')
    .action(async (opts: { json?: boolean }) => {
      const { config } = ctx();
      const client = await ctx().client();
      const { runbooks } = readRunbooks(config.runbooksDir, STEP_TYPE_NAMES);
      const drills = await exerciseRecords(client);
      const findings = await openDrillFindings(client);
      const owners = new Map(runbooks.map((r) => [r.runbook.id, r.runbook.owner]));
      const status = drillStatus(runbooks.map((r) => ({ id: r.runbook.id, contentHash: r.contentHash })), drills, new Date()).map((s) => ({
        ...s,
        ...(owners.get(s.runbook) ? { owner: owners.get(s.runbook) } : {}),
        // Open findings of every drill of the runbook, not only the last: a gap stays open until closed.
        openFindings: drills.filter((d) => d.runbook === s.runbook).flatMap((d) => findings.get(d.incidentId) ?? []),
      }));
      if (opts.json) return console.log(JSON.stringify(status, null, 2));
      for (const s of status) {
        const last = s.lastExercise ? `${s.lastExercise.startedAt}  ${s.lastExercise.passed ? 'met targets' : 'missed a target'}  ${s.lastExercise.incidentId}` : '-';
        const open = s.openFindings.length > 0 ? `  ${s.openFindings.length} open finding${s.openFindings.length === 1 ? '' : 's'}` : '';
        console.log(`${s.runbook.padEnd(28)} ${(s.owner ?? '-').padEnd(16)} ${last}${open}${s.due ? `  DUE: ${s.due}` : ''}`);
        for (const f of s.openFindings) console.log(`    ${f}`);
      }
    });
}

/** The scenario progress of a scenario drill; undefined for a drill of a bare runbook. */
async function scenarioOf(client: Client, incidentId: string): Promise<ScenarioProgress | undefined> {
  try {
    return await client.workflow.getHandle(scenarioRunId(incidentId)).query(scenarioProgressQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
