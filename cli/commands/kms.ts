/**
 * `tourniquet kms status|approve-deletion|cancel-deletion`: the retirement of a KMS key that
 * rotateKey replaced. Its workflow (`key-retirement/<incident>/<step>`) watches the key in
 * CloudTrail, offers its deletion once it has been unused for `aws.keyRetirement.unusedFor`,
 * schedules it after two approvals, and cancels it on request. It outlives the incident, so these
 * commands never ask the incident anything.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { maskText } from '../../domain/masking';
import { KEY_RETIREMENT_WORKFLOW, keyRetirementStatusQuery, keyRetirementWorkflowId, type KeyRetirementView } from '../../workflows/playbooks/definitions';
import { type CliContext, CliError } from '../context';
import { incidentSegment } from '../operator-api';
import { normaliseIncidentId } from './incidents';

function retirementId(incident: string, step: string): string {
  return keyRetirementWorkflowId(normaliseIncidentId(incident), step);
}

function missing(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5;
}

async function statusOf(client: Client, id: string): Promise<KeyRetirementView> {
  try {
    return await client.workflow.getHandle(id).query(keyRetirementStatusQuery);
  } catch (err) {
    if (missing(err)) throw new CliError(`no key retirement ${id}`, 3);
    throw err;
  }
}

export function describeRetirement(v: KeyRetirementView): string[] {
  const lines = [
    `${v.id}: KMS key ${v.keyId} is ${v.status}`,
    `  replaced by ${v.replacementKeyId}${v.aliases.length > 0 ? `; ${v.aliases.join(', ')} moved to it` : ''}; old key decrypt only`,
    `  unused since ${v.quietSince} (deletion offered after ${v.unusedFor}); last use: ${v.lastUse ? `${v.lastUse.event} at ${v.lastUse.at}` : 'none seen'}`,
  ];
  if (v.lastCheck) lines.push(`  last check: ${v.lastCheck.at} ${v.lastCheck.ok ? 'ok' : `FAILED: ${v.lastCheck.error}`}`);
  if (v.offer) {
    lines.push(`  deletion offered ${v.offer.at} (offer ${v.offer.n}): ${v.approvals.length} of 2 approvals from ${v.approvalGroup}`);
    for (const a of v.approvals) lines.push(`    ${a.by} at ${a.at}: ${maskText(a.justification)}`);
  }
  if (v.deletion) lines.push(`  deletion scheduled ${v.deletion.scheduledAt} for ${v.deletion.deletionDate} (${v.pendingWindowDays}-day window; cancellable until then)`);
  return lines;
}

export function register(program: Command, ctx: () => CliContext): void {
  const kms = program.command('kms').description('KMS keys retired by rotateKey: usage, deletion approvals, cancellation');

  kms
    .command('status [incident] [step]')
    .description('one retirement (incident and step), or every running one')
    .option('--json', 'print the retirement state(s) as JSON')
    .action(async (incident: string | undefined, step: string | undefined, opts: { json?: boolean }) => {
      const client = await ctx().client();
      if ((incident === undefined) !== (step === undefined)) throw new CliError('name both the incident and the step, or neither', 2);
      const views: KeyRetirementView[] = [];
      if (incident && step) views.push(await statusOf(client, retirementId(incident, step)));
      else {
        for await (const wf of client.workflow.list({ query: `WorkflowType = '${KEY_RETIREMENT_WORKFLOW}' AND ExecutionStatus = 'Running'` })) {
          views.push(await statusOf(client, wf.workflowId));
        }
      }
      if (opts.json) console.log(JSON.stringify(incident ? views[0] : views, null, 2));
      else if (views.length === 0) console.log('no KMS key is being retired');
      else for (const v of views) console.log(describeRetirement(v).join('\n'));
    });

  const path = (incident: string, step: string, verb: string) =>
    `/key-retirements/${incidentSegment(normaliseIncidentId(incident))}/${encodeURIComponent(step)}/${verb}`;

  kms
    .command('approve-deletion <incident> <step>')
    .description('approve deleting a retired key (two distinct approvers of the rotation\'s group; not the incident\'s requester)')
    .requiredOption('--justification <text>', 'why; kept with the approval')
    .requiredOption('--offer <n>', 'the offer number you reviewed (see `kms status`); a newer offer refuses it')
    .action(async (incident: string, step: string, opts: { justification: string; offer: string }) => {
      const offer = Number(opts.offer);
      if (!Number.isInteger(offer) || offer < 1) throw new CliError(`--offer ${opts.offer}: not an offer number`, 2);
      const view = await ctx().api().post<KeyRetirementView>(path(incident, step, 'approve'), { justification: opts.justification, offer });
      console.log(`approved the deletion of KMS key ${view.keyId} (${view.approvals.length} of 2)`);
      if (view.approvals.length >= 2) console.log('  two approvals: its use is checked once more, then the deletion is scheduled (see `kms status`)');
    });

  kms
    .command('cancel-deletion <incident> <step>')
    .description('cancel a retired key\'s scheduled deletion and enable it again (CancelKeyDeletion, then EnableKey)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (incident: string, step: string, opts: { reason: string }) => {
      const { summary } = await ctx().api().post<{ summary: string }>(path(incident, step, 'cancel'), { reason: opts.reason });
      console.log(maskText(summary));
    });
}
