/**
 * `tourniquet reviews`: the post-incident review of a resolved incident — `show`, `export`
 * (Markdown: the stored final text once finalised, else the draft), `edit`, `finding` (a follow-up
 * action with an owner and a due date), `finalise`. `tourniquet follow-ups`: `list` (open and
 * overdue, soonest first), `show`, `close` (with evidence), `reassign`, `reschedule`. Reading asks
 * Temporal; every change goes through the operator API as the token's person.
 */
import type { Command } from 'commander';
import type { QueryDefinition } from '@temporalio/common';
import { maskText, maskValue } from '../../domain/masking';
import { reviewIdFromUser } from '../../domain/ids';
import { dueInstant, type FollowUpView } from '../../domain/follow-up';
import { reviewMarkdown, type ReviewView } from '../../domain/review';
import { FOLLOW_UP_WORKFLOW, followUpQuery } from '../../workflows/follow-up-definitions';
import { reviewQuery } from '../../workflows/review-definitions';
import { type CliContext, CliError } from '../context';

/** The Markdown of a review: the exact stored text when final, else the draft (so marked). */
export function exportedMarkdown(view: ReviewView): string {
  if (view.final) return view.final.markdown;
  return `> DRAFT: not finalised; the final text is stored as evidence when a lead finalises it.\n\n${reviewMarkdown(view)}`;
}

async function read<T>(ctx: CliContext, id: string, what: string, query: QueryDefinition<T>): Promise<T> {
  const client = await ctx.client();
  try {
    return await client.workflow.getHandle(id).query(query);
  } catch (err) {
    throw new CliError(`no ${what} ${id}: ${(err as Error).message}`, 3);
  }
}

function printReview(view: ReviewView): void {
  console.log(`${view.id}  ${view.status}  owner ${maskText(view.owner)}  due ${view.dueAt.slice(0, 10)}  (${view.incidentId})`);
  if (view.final) console.log(`  finalised ${view.final.at} by ${maskText(view.final.by)}; evidence ${view.final.snapshotId} sha256 ${view.final.sha256}`);
  for (const f of view.findings) console.log(`  ${f.followUpId}  owner ${maskText(f.owner)}  due ${f.dueAt}`);
  for (const c of view.changes) console.log(`    ${c.at}  ${c.what.padEnd(20)} ${maskText(c.by).padEnd(12)} ${maskText(c.message)}`);
}

function printFollowUp(view: FollowUpView): void {
  console.log(`${view.id}  ${view.status}  owner ${maskText(view.owner)}  due ${view.dueAt}`);
  console.log(`  ${maskText(view.title)}`);
  if (view.closure) console.log(`  closed ${view.closure.at} by ${maskText(view.closure.by)}; evidence ${maskText(view.closure.evidence)}`);
  for (const c of view.changes) console.log(`    ${c.at}  ${c.what.padEnd(22)} ${maskText(c.by).padEnd(12)} ${maskText(c.message)}`);
}

const followUpPath = (id: string, what: string) => `/follow-ups/${encodeURIComponent(id)}/${what}`;
const reviewPath = (id: string, what: string) => `/reviews/${encodeURIComponent(reviewIdFromUser(id).slice('review/'.length))}/${what}`;

export function register(program: Command, ctx: () => CliContext): void {
  const reviews = program.command('reviews').description('post-incident reviews: opened when an incident resolves');
  reviews
    .command('show <id>')
    .description('a review (by review id, incident id or fingerprint): status, due date, findings, changes')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const view = await read<ReviewView>(ctx(), reviewIdFromUser(id), 'review', reviewQuery);
      if (opts.json) return console.log(JSON.stringify(maskValue(view), null, 2));
      printReview(view);
    });
  reviews
    .command('export <id>')
    .description('the review as Markdown (the stored final text once finalised)')
    .action(async (id: string) => {
      process.stdout.write(exportedMarkdown(await read<ReviewView>(ctx(), reviewIdFromUser(id), 'review', reviewQuery)));
    });
  reviews
    .command('edit <id>')
    .description('write the root cause, what helped, what hurt')
    .option('--root-cause <text>')
    .option('--helped <text>')
    .option('--hurt <text>')
    .action(async (id: string, o: { rootCause?: string; helped?: string; hurt?: string }) => {
      printReview(await ctx().api().post<ReviewView>(reviewPath(id, 'edit'), o));
    });
  reviews
    .command('finding <id>')
    .description('a finding: it becomes a follow-up action with an owner and a due date')
    .requiredOption('--text <text>', 'what must be done')
    .requiredOption('--owner <person>', 'who does it (a person id)')
    .requiredOption('--due <date>', 'ISO date (due at the end of that day, UTC) or instant')
    .action(async (id: string, o: { text: string; owner: string; due: string }) => {
      printReview(await ctx().api().post<ReviewView>(reviewPath(id, 'findings'), { text: o.text, owner: o.owner, dueAt: o.due }));
    });
  reviews
    .command('finalise <id>')
    .description('store the review as evidence (needs its root cause); nothing is written to it after')
    .action(async (id: string) => {
      printReview(await ctx().api().post<ReviewView>(reviewPath(id, 'finalise'), {}));
    });

  const followUps = program.command('follow-ups').description('follow-up actions: owners, due dates, closure with evidence');
  followUps
    .command('list', { isDefault: true })
    .description('open and overdue follow-ups, soonest due first')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const client = await ctx().client();
      const rows: FollowUpView[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowType = '${FOLLOW_UP_WORKFLOW}' AND ExecutionStatus = 'Running'` })) {
        rows.push(await client.workflow.getHandle(wf.workflowId).query(followUpQuery));
      }
      // Sorted here: not every visibility store orders by a custom attribute.
      rows.sort((a, b) => dueInstant(a.dueAt) - dueInstant(b.dueAt) || a.id.localeCompare(b.id));
      if (opts.json) return console.log(JSON.stringify(maskValue(rows), null, 2));
      if (rows.length === 0) return console.log('no open follow-ups');
      for (const r of rows) console.log(`${r.dueAt.padEnd(24)} ${r.status.padEnd(8)} ${maskText(r.owner).padEnd(16)} ${r.id}`);
    });
  followUps
    .command('show <id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const view = await read<FollowUpView>(ctx(), id, 'follow-up', followUpQuery);
      if (opts.json) return console.log(JSON.stringify(maskValue(view), null, 2));
      printFollowUp(view);
    });
  followUps
    .command('close <id>')
    .description('done: with evidence of the work (a change, a ticket, an evidence key) and a note')
    .requiredOption('--evidence <ref>')
    .requiredOption('--note <text>')
    .action(async (id: string, o: { evidence: string; note: string }) => {
      printFollowUp(await ctx().api().post<FollowUpView>(followUpPath(id, 'close'), o));
    });
  followUps
    .command('reassign <id>')
    .requiredOption('--owner <person>')
    .requiredOption('--reason <text>')
    .action(async (id: string, o: { owner: string; reason: string }) => {
      printFollowUp(await ctx().api().post<FollowUpView>(followUpPath(id, 'reassign'), o));
    });
  followUps
    .command('reschedule <id>')
    .requiredOption('--due <date>')
    .requiredOption('--reason <text>')
    .action(async (id: string, o: { due: string; reason: string }) => {
      printFollowUp(await ctx().api().post<FollowUpView>(followUpPath(id, 'reschedule'), { dueAt: o.due, reason: o.reason }));
    });
}
