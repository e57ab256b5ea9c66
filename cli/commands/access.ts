/**
 * `tourniquet access request|approve|deny|revoke|extend|list|show`: break-glass access through the
 * operator API (every decision signed by the ingress for its grant's workflow `access/<request>`).
 */
import type { Command } from 'commander';
import { maskText } from '../../domain/masking';
import { describeGrantLine } from '../../ingress/read-model';
import type { AccessGrantView } from '../../workflows/access/definitions';
import type { CliContext } from '../context';

const path = (id: string, verb?: string) => `/access/${encodeURIComponent(id.replace(/^access\//, ''))}${verb ? `/${verb}` : ''}`;

export function describeAccess(v: AccessGrantView): string[] {
  const lines = [`${v.id}: ${v.profile} for ${v.requester} is ${v.status}${v.incidentId ? ` (${v.incidentId})` : ''}`];
  if (v.pending) {
    lines.push(`  ${v.pending.kind === 'extension' ? 'extension' : 'request'} awaiting ${v.approvers} approval(s) from ${v.approverGroup}; plan ${v.pending.planHash}`);
    for (const l of v.pending.plan) lines.push(`    ${l}`);
    for (const d of v.pending.decisions) lines.push(`    ${d.decision} by ${d.by} at ${d.at}: ${maskText(d.justification)}`);
  }
  if (v.grantedAt) lines.push(`  granted ${v.grantedAt}, until ${v.expiresAt}`);
  if (v.end) lines.push(`  ended (${v.end.why}) by ${v.end.by}${v.endedAt ? ` at ${v.endedAt}` : ''}`);
  if (v.ledger.length > 0) lines.push(`  ledger: ${v.ledger.join(', ')}`);
  return lines;
}

export function register(program: Command, ctx: () => CliContext): void {
  const access = program.command('access').description('break-glass access: ask for a profile, approve, revoke, list open grants with time left');

  access
    .command('request <profile> <duration> <reason...>')
    .description('ask for a profile (access.profiles) for a while, e.g. `access request phi-logs-read 1h reading the export logs --incident <id>`')
    .option('--incident <id>', 'the incident it serves (required by profiles that need an open incident)')
    .action(async (profile: string, duration: string, reason: string[], opts: { incident?: string }) => {
      const v = await ctx().api().post<AccessGrantView>('/access', { profile, duration, reason: reason.join(' '), ...(opts.incident ? { incident: opts.incident } : {}) });
      console.log(describeAccess(v).join('\n'));
      if (v.pending) console.log(`  approvers run: tourniquet access approve ${v.requestId} --plan ${v.pending.planHash} --justification <why>`);
    });

  for (const verb of ['approve', 'deny'] as const) {
    access
      .command(`${verb} <id>`)
      .description(verb === 'approve' ? 'approve the plan you reviewed (a member of the profile\'s approver group; never the requester)' : 'deny the request or extension')
      .option('--plan <hash>', 'the plan hash shown with the request (at least 12 characters); a changed plan refuses it')
      .requiredOption('--justification <text>', 'why; kept with the decision')
      .action(async (id: string, opts: { plan?: string; justification: string }) => {
        const v = await ctx().api().post<AccessGrantView>(path(id, verb), { justification: opts.justification, ...(opts.plan ? { planHash: opts.plan } : {}) });
        console.log(describeAccess(v).join('\n'));
      });
  }

  access
    .command('revoke <id>')
    .description('take the access away now (its holder, or a member of the approver group)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (id: string, opts: { reason: string }) => {
      const v = await ctx().api().post<AccessGrantView>(path(id, 'revoke'), { reason: opts.reason });
      console.log(`revoking ${v.id}; it is removed in AWS and the window closed on the ledger`);
    });

  access
    .command('extend <id> <by>')
    .description('ask for more time: a new plan, approved anew')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (id: string, by: string, opts: { reason: string }) => {
      const v = await ctx().api().post<AccessGrantView>(path(id, 'extend'), { extendBy: by, reason: opts.reason });
      console.log(describeAccess(v).join('\n'));
    });

  access
    .command('list')
    .description('open requests and grants, with the time left')
    .option('--json', 'print them as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { grants } = await ctx().api().get<{ grants: AccessGrantView[] }>('/access');
      if (opts.json) console.log(JSON.stringify(grants, null, 2));
      else if (grants.length === 0) console.log('no break-glass access is open');
      else for (const g of grants) console.log(describeGrantLine(g));
    });

  access
    .command('show <id>')
    .description('one request: its plan, decisions, window and ledger ids')
    .action(async (id: string) => {
      console.log(describeAccess(await ctx().api().get<AccessGrantView>(path(id))).join('\n'));
    });
}
