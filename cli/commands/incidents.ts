import type { Command } from 'commander';
import { incidentIdFromUser } from '../../domain/ids';
import { displayState, displayTimeline } from '../../domain/display';
import type { IncidentState } from '../../domain/incident';
import { displayPolicyFrom } from '../../platform/display-policy';
import { SEVERITIES } from '../../domain/severity';
import { stateQuery, timelineQuery } from '../../workflows/definitions';
import { listIncidents } from '../../ingress/read-model';
import { type CliContext, CliError } from '../context';
import { incidentSegment } from '../operator-api';
import { rolesLine } from '../../domain/roles';

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
    ...(state.roles && Object.keys(state.roles).length > 0 ? [`  roles:    ${rolesLine(state.roles)}`] : []),
    '  steps:',
    ...state.steps.flatMap((s) => [
      `    ${s.id.padEnd(24)} ${(s.halted ? 'failed (halted)' : s.status).padEnd(18)} ${s.summary ?? s.error ?? ''}`,
      ...(s.status === 'awaiting-approval' ? [`      plan ${s.planHash}:`, ...(s.plan ?? []).map((line) => `        ${line}`)] : []),
    ]),
  ];
  if (state.resolution) lines.push(`  resolved: ${state.resolvedAt} — ${state.resolution}`);
  return lines.join('\n');
}

/**
 * Changes go through the operator API as the person the token belongs to (TOURNIQUET_TOKEN or the
 * token file); a refusal (authority table, or the workflow's rules) is exit code 4.
 */
const post = <T>(ctx: CliContext, id: string, path: string, body: unknown) => ctx.api().post<T>(`/incidents/${incidentSegment(normaliseIncidentId(id))}${path}`, body);

export function register(program: Command, ctx: () => CliContext): void {
  const incidents = program.command('incidents').description('list, inspect and act on incidents');
  incidents
    .command('declare <title>')
    .description('open an incident by hand, with you as its requester')
    .option('--severity <severity>', SEVERITIES.join(' | '), 'high')
    .action(async (title: string, opts: { severity: string }) => {
      const { incidentId } = await ctx().api().post<{ incidentId: string }>('/incidents', { title, severity: opts.severity });
      console.log(incidentId);
    });
  incidents
    .command('ack <id>')
    .description('acknowledge an incident: you have it')
    .action(async (id: string) => {
      const r = await post<{ incident: string; acknowledgedBy: string }>(ctx(), id, '/acknowledge', {});
      console.log(`${r.incident} acknowledged by ${r.acknowledgedBy}`);
    });
  incidents
    .command('note <id> <text>')
    .description('add a note to the timeline')
    .action(async (id: string, text: string) => {
      const r = await post<{ incident: string; notes: number }>(ctx(), id, '/notes', { text });
      console.log(`${r.incident}: note ${r.notes} added`);
    });
  incidents
    .command('role <id> <role> <person>')
    .description('assign an incident role, or hand it over (incident-commander, communications-lead, privacy-officer, scribe, or as configured)')
    .option('--reason <text>', 'why (recorded)')
    .action(async (id: string, role: string, person: string, opts: { reason?: string }) => {
      const r = await post<{ incident: string; roles: Record<string, { person: string }> }>(ctx(), id, '/roles', { role, person, ...(opts.reason ? { reason: opts.reason } : {}) });
      console.log(`${r.incident}: ${Object.entries(r.roles).map(([name, h]) => `${name} ${h.person}`).join(', ')}`);
    });
  incidents
    .command('resolve <id>')
    .description('resolve an incident (running containment steps are cancelled)')
    .requiredOption('--reason <text>', 'how it was resolved (recorded)')
    .action(async (id: string, opts: { reason: string }) => {
      const r = await post<{ incident: string; status: string }>(ctx(), id, '/resolve', { reason: opts.reason });
      console.log(`${r.incident} ${r.status}`);
    });
  incidents
    .command('close <id>')
    .description('close an incident where nothing was changed (false positive, triage with nothing to do)')
    .requiredOption('--reason <text>', 'why no action is needed (recorded)')
    .action(async (id: string, opts: { reason: string }) => {
      const r = await post<{ incident: string }>(ctx(), id, '/close', { reason: opts.reason });
      console.log(`${r.incident} closed as no-action`);
    });
  for (const action of ['retry', 'skip'] as const) {
    incidents
      .command(`${action} <id> <step>`)
      .description(action === 'retry' ? 'run a failed step that halted the runbook again' : 'go on without a failed step that halted the runbook')
      .requiredOption('--reason <text>', 'why (recorded)')
      .action(async (id: string, stepId: string, opts: { reason: string }) => {
        const r = await post<{ incident: string }>(ctx(), id, `/steps/${encodeURIComponent(stepId)}/${action}`, { reason: opts.reason });
        console.log(`${action === 'retry' ? 'running' : 'skipping'} ${stepId} of ${r.incident}`);
      });
  }
  incidents
    .command('list')
    .description('open incidents (with --all, closed ones too)')
    .option('--all', 'include closed incidents')
    .option('--json', 'machine-readable output')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const rows = await listIncidents(await ctx().client(), { all: Boolean(opts.all) });
      if (opts.json) return console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return console.log('no incidents');
      for (const r of rows) console.log(`${r.id}  ${(r.status ?? '-').padEnd(16)} ${(r.severity ?? '-').padEnd(8)} ${(r.runbook ?? '-').padEnd(24)} ${r.startTime}`);
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
