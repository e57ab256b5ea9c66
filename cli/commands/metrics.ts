/**
 * `tourniquet metrics mttx`: response times (MTTD, MTTA, MTTC, MTTR) aggregated per month or per
 * release, as CSV, JSON or a table; `--incidents` gives the per-incident figures instead.
 */
import type { Command } from 'commander';
import { aggregate, aggregateCsv, MEASURES, type GroupBy } from '../../domain/mttx';
import { readIncidentTimes } from '../../ingress/mttx-query';
import { type CliContext, CliError } from '../context';

const minutes = (s: number | undefined) => (s === undefined ? '—' : `${(s / 60).toFixed(1)}m`);

export function register(program: Command, ctx: () => CliContext): void {
  const metrics = program.command('metrics').description('incident response metrics');
  metrics
    .command('mttx', { isDefault: true })
    .description('MTTD (observed → detected), MTTA, MTTC (first containment), MTTR per month or release: mean, p50, p90, count')
    .option('--by <group>', 'month or release', 'release')
    .option('--format <format>', 'table, csv or json', 'table')
    .option('--since <date>', 'incidents detected since (ISO date)')
    .option('--incidents', 'one row per incident instead of the aggregate')
    .action(async (o: { by: string; format: string; since?: string; incidents?: boolean }) => {
      if (o.by !== 'month' && o.by !== 'release') throw new CliError('--by: month or release', 2);
      if (!['table', 'csv', 'json'].includes(o.format)) throw new CliError('--format: table, csv or json', 2);
      if (o.since && Number.isNaN(Date.parse(o.since))) throw new CliError('--since: an ISO date', 2);
      const { times, unreadable } = await readIncidentTimes(await ctx().client(), o.since);
      if (unreadable.length > 0) console.error(`${unreadable.length} incident(s) could not be read and are not counted: ${unreadable.join(', ')}`);
      const by = o.by as GroupBy;
      if (o.incidents) {
        if (o.format === 'json') return console.log(JSON.stringify(times, null, 2));
        const rows = ['id,detected_at,release,severity,outcome,mttd_seconds,mtta_seconds,mttc_seconds,mttr_seconds'];
        for (const t of times) rows.push([t.id, t.detectedAt, t.release, t.severity, t.outcome, ...MEASURES.map((m) => t[m] ?? '')].join(','));
        return console.log(rows.join('\n'));
      }
      const groups = aggregate(times, by);
      if (o.format === 'json') return console.log(JSON.stringify(groups, null, 2));
      if (o.format === 'csv') return void process.stdout.write(aggregateCsv(groups, by));
      for (const g of groups) {
        const outcomes = `${g.incidents} incidents (${g.outcomes.resolved} resolved, ${g.outcomes['no-action']} no-action, ${g.outcomes.failed} failed, ${g.outcomes.open} open)`;
        console.log(`${g.key}  ${outcomes}`);
        for (const m of MEASURES) {
          const s = g.measures[m];
          console.log(`  ${m.toUpperCase()}  ${s ? `mean ${minutes(s.mean)}  p50 ${minutes(s.p50)}  p90 ${minutes(s.p90)}  n=${s.count}` : 'no incident reached it'}`);
        }
      }
    });
}
