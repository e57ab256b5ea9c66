import type { Command } from 'commander';
import type { IncidentState } from '../../domain/incident';
import { stateQuery, timelineQuery } from '../../workflows/definitions';
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

export function normaliseIncidentId(id: string): string {
  return id.startsWith('incident/') ? id : `incident/${id}`;
}

export async function showIncident(ctx: CliContext, id: string) {
  const client = await ctx.client();
  const handle = client.workflow.getHandle(normaliseIncidentId(id));
  try {
    const [state, timeline] = await Promise.all([handle.query(stateQuery), handle.query(timelineQuery)]);
    return { state, timeline };
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
    ...state.steps.map((s) => `    ${s.id.padEnd(24)} ${s.status.padEnd(18)} ${s.summary ?? s.error ?? ''}`),
  ];
  if (state.resolution) lines.push(`  resolved: ${state.resolvedAt} — ${state.resolution}`);
  return lines.join('\n');
}

export function register(program: Command, ctx: () => CliContext): void {
  const incidents = program.command('incidents').description('list and inspect incidents');
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
