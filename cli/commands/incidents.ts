import type { WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { incidentIdFromUser } from '../../domain/ids';
import { displayState, displayTimeline } from '../../domain/display';
import type { IncidentState } from '../../domain/incident';
import { displayPolicyFrom } from '../../platform/display-policy';
import { closeNoActionUpdate, retryStepUpdate, skipStepUpdate, stateQuery, timelineQuery } from '../../workflows/definitions';
import { refusalReason } from '../../ingress/slack/rejections';
import { type CliContext, CliError } from '../context';

export interface IncidentSummary {
  id: string;
  runId: string;
  status: string;
  severity: string;
  runbook: string;
  startTime: string;
  closed: boolean;
}

/** Incidents through Temporal visibility (search attributes), newest first. */
export async function listIncidents(ctx: CliContext, all: boolean): Promise<IncidentSummary[]> {
  const client = await ctx.client();
  const query = `WorkflowType = 'incidentWorkflow'${all ? '' : " AND ExecutionStatus = 'Running'"}`;
  const rows: IncidentSummary[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const attr = (name: string) => String((wf.searchAttributes?.[name] as unknown[] | undefined)?.[0] ?? '-');
    rows.push({
      id: wf.workflowId,
      runId: wf.runId,
      status: attr('TourniquetStatus'),
      severity: attr('TourniquetSeverity'),
      runbook: attr('TourniquetRunbook'),
      startTime: wf.startTime.toISOString(),
      closed: wf.status.name !== 'RUNNING',
    });
  }
  return rows;
}

export const normaliseIncidentId = incidentIdFromUser;

/** The incident as a person may see it (domain/display.ts): what the CLI prints, text or JSON. */
export async function showIncident(ctx: CliContext, id: string) {
  const client = await ctx.client();
  const handle = client.workflow.getHandle(normaliseIncidentId(id));
  try {
    const [state, timeline] = await Promise.all([handle.query(stateQuery), handle.query(timelineQuery)]);
    const policy = displayPolicyFrom(ctx.config);
    return { state: displayState(state, policy), timeline: displayTimeline(timeline, state, policy) };
  } catch (err) {
    throw new CliError(`no incident ${id}: ${(err as Error).message}`, 3);
  }
}

function describe(state: IncidentState): string {
  const lines = [
    `${state.id}  ${state.status}  ${state.severity}`,
    `  title:    ${state.title}`,
    `  runbook:  ${state.runbook ? `${state.runbook.id} (${state.runbook.contentHash.slice(0, 12)})` : '-'}`,
    `  opened:   ${state.openedAt}${state.acknowledgedBy ? `  acknowledged by ${state.acknowledgedBy}` : ''}`,
    `  alerts:   ${state.alertCount} (${state.resolvedAlerts} resolved)${state.escalated ? '  ESCALATED' : ''}`,
    '  steps:',
    ...state.steps.flatMap((s) => [
      `    ${s.id.padEnd(24)} ${(s.halted ? 'failed (halted)' : s.status).padEnd(18)} ${s.summary ?? s.error ?? ''}`,
      ...(s.status === 'awaiting-approval' ? [`      plan ${s.planHash}:`, ...(s.plan ?? []).map((line) => `        ${line}`)] : []),
    ]),
  ];
  if (state.resolution) lines.push(`  resolved: ${state.resolvedAt} — ${state.resolution}`);
  return lines.join('\n');
}

/** An incident update from the command line; the workflow's validator's refusal is exit code 4. */
async function act<T>(ctx: CliContext, id: string, send: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
  const client = await ctx.client();
  try {
    return await send(client.workflow.getHandle(normaliseIncidentId(id)));
  } catch (err) {
    const reason = refusalReason(err);
    if (reason !== undefined) throw new CliError(`refused: ${reason}`, 4);
    throw err;
  }
}

export function register(program: Command, ctx: () => CliContext): void {
  const incidents = program.command('incidents').description('list, inspect and act on incidents');
  incidents
    .command('close <id>')
    .description('close an incident where nothing was changed (false positive, triage with nothing to do)')
    .requiredOption('--by <user>', 'who closes it (recorded)')
    .requiredOption('--reason <text>', 'why no action is needed (recorded)')
    .action(async (id: string, opts: { by: string; reason: string }) => {
      const state = await act(ctx(), id, (h) => h.executeUpdate(closeNoActionUpdate, { args: [{ by: opts.by, reason: opts.reason }] }));
      console.log(`${state.id} closed as no-action`);
    });
  for (const action of ['retry', 'skip'] as const) {
    incidents
      .command(`${action} <id> <step>`)
      .description(action === 'retry' ? 'run a failed step that halted the runbook again' : 'go on without a failed step that halted the runbook')
      .requiredOption('--by <user>', 'who decides (recorded)')
      .requiredOption('--reason <text>', 'why (recorded)')
      .action(async (id: string, stepId: string, opts: { by: string; reason: string }) => {
        const update = action === 'retry' ? retryStepUpdate : skipStepUpdate;
        const state = await act(ctx(), id, (h) => h.executeUpdate(update, { args: [{ by: opts.by, stepId, reason: opts.reason }] }));
        console.log(`${action === 'retry' ? 'running' : 'skipping'} ${stepId} of ${state.id}`);
      });
  }
  incidents
    .command('list')
    .description('open incidents (with --all, closed ones too)')
    .option('--all', 'include closed incidents')
    .option('--json', 'machine-readable output')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const rows = await listIncidents(ctx(), Boolean(opts.all));
      if (opts.json) return console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return console.log('no incidents');
      for (const r of rows) console.log(`${r.id}  ${r.status.padEnd(16)} ${r.severity.padEnd(8)} ${r.runbook.padEnd(24)} ${r.startTime}`);
    });
  incidents
    .command('show <id>')
    .description('state, steps and timeline of one incident')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { state, timeline } = await showIncident(ctx(), id);
      if (opts.json) return console.log(JSON.stringify({ state, timeline }, null, 2));
      console.log(describe(state));
      console.log('  timeline:');
      for (const t of timeline) console.log(`    ${t.at}  ${t.kind.padEnd(22)} ${t.actor.padEnd(16)} ${t.message}`);
    });
}
