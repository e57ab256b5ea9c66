/**
 * `tourniquet clocks`: open breach-notification clocks (soonest deadline first, overdue flagged),
 * `clocks preview` (obligations from facts alone, nothing started), `clocks show <id>`, and
 * `clocks report --year` (the HHS log of breaches under 500, 45 CFR 164.408(c)).
 */
import { breachClockIdFromUser, fingerprintOf } from '../../domain/ids';
import type { Command } from 'commander';
import { maskText, maskValue } from '../../domain/masking';
import { daysLeft, obligationsFor, type BreachFacts, type ClockSettings, type EntityRole, type Obligation } from '../../domain/hipaa';
import { ENTITY_ROLES, smallBreachLog } from '../../domain/hipaa';
import { clocksOfYear, clockView, listOpenClocks } from '../../ingress/read-model';
import type { ClockView } from '../../workflows/breach-clock-definitions';
import { type CliContext, CliError } from '../context';

export interface PreviewOptions {
  discovered: string;
  role: string;
  affected?: string;
  state: string[];
  insufficientContact?: string;
  timeZone?: string;
  baDays?: string;
}

function count(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${what}: expected a whole number, got ${value}`, 2);
  return Number(value);
}

/** `--state CA=501` → { CA: 501 }; a State named twice is added up. */
export function parseStates(pairs: string[]): Record<string, number> {
  const byState: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z]{2})=(\d+)$/.exec(pair.trim());
    if (!m) throw new CliError(`--state ${pair}: expected XX=N (a two-letter code and a count)`, 2);
    const code = m[1]!.toUpperCase();
    byState[code] = (byState[code] ?? 0) + Number(m[2]);
  }
  return byState;
}

/** The obligations that follow from the facts given on the command line; nothing is started. */
export function preview(opts: PreviewOptions, configured: ClockSettings): Obligation[] {
  if (!ENTITY_ROLES.includes(opts.role as EntityRole)) throw new CliError(`--role: one of ${ENTITY_ROLES.join(', ')}`, 2);
  const settings: ClockSettings = {
    ...configured,
    role: opts.role as EntityRole,
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    ...(opts.baDays ? { baAgreementDays: count(opts.baDays, '--ba-days') } : {}),
  };
  const facts: BreachFacts = {
    discoveredAt: opts.discovered,
    affected: opts.affected === undefined ? null : count(opts.affected, '--affected'),
    byState: parseStates(opts.state),
    insufficientContact: opts.insufficientContact === undefined ? 0 : count(opts.insufficientContact, '--insufficient-contact'),
    lawEnforcement: [],
  };
  try {
    return obligationsFor(facts, settings);
  } catch (err) {
    if (err instanceof RangeError) throw new CliError(`--discovered: ${err.message}`, 2);
    throw err;
  }
}

/** `--json`: one object per obligation: its kind, who is notified, the deadline (ISO date), the rule. */
export function previewJson(obligations: Obligation[]) {
  return obligations.map((o) => ({ id: o.id, kind: o.kind, notifies: o.notifies, deadline: o.deadline, rule: o.rule, ...(o.note ? { note: o.note } : {}) }));
}

function describeObligations(obligations: { id: string; deadline: string; rule: string; notifies: string; status?: string; daysLeft?: number; note?: string }[]): string {
  return obligations
    .map((o) => {
      const state = o.status ? `  ${o.status}${o.daysLeft !== undefined && o.status !== 'sent' && o.status !== 'not-required' ? ` (${o.daysLeft} days left)` : ''}` : '';
      return `  ${o.deadline}  ${o.id.padEnd(22)} ${o.rule.padEnd(26)} ${o.notifies}${state}${o.note ? `\n${' '.repeat(14)}${o.note}` : ''}`;
    })
    .join('\n');
}

const clockIdOf = breachClockIdFromUser;

/**
 * Record on the clock through the operator API, as the person the token belongs to: the authority
 * table, then the clock's own validator decide; a refusal exits 4 naming why. Prints the clock as
 * it now stands.
 */
async function recordOnClock(ctx: CliContext, id: string, record: 'facts' | 'delays' | 'notices' | 'assessments' | 'discovery', arg: unknown, json?: boolean): Promise<void> {
  const view = await ctx.api().post<ClockView>(`/clocks/${encodeURIComponent(fingerprintOf(clockIdOf(id)))}/${record}`, arg);
  if (json) return console.log(JSON.stringify(maskValue(view), null, 2));
  console.log(`${view.id}  ${view.status}`);
  console.log(obligationsNow(view));
}

/** The clock's obligations with the days left counted from now, not from the clock's last step. */
function obligationsNow(view: ClockView): string {
  const now = Date.now();
  return describeObligations(view.obligations.map((o) => ({ ...o, daysLeft: daysLeft(o, now) })));
}

export function register(program: Command, ctx: () => CliContext): void {
  const clocks = program.command('clocks').description('breach-notification clocks (HIPAA, 45 CFR 164.400–414)');
  clocks
    .command('list', { isDefault: true })
    .description('open clocks, soonest deadline first, overdue flagged')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const rows = await listOpenClocks(await ctx().client());
      if (opts.json) return console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return console.log('no open clocks');
      for (const r of rows) {
        console.log(`${r.overdue ? 'OVERDUE ' : '        '}${(r.nextDeadline ?? '-').padEnd(26)} ${r.status.padEnd(10)} ${r.id}`);
      }
    });

  clocks
    .command('preview')
    .description('the obligations and deadlines that follow from the facts; starts nothing')
    .requiredOption('--discovered <date>', 'ISO date or date-time of discovery')
    .requiredOption('--role <role>', 'covered-entity | business-associate')
    .option('--affected <n>', 'individuals affected')
    .option('--state <XX=N>', 'residents affected in a State or jurisdiction (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--insufficient-contact <n>', 'individuals whose contact information is insufficient')
    .option('--time-zone <tz>', 'time zone of the calendar days (default: configuration)')
    .option('--ba-days <n>', 'business associate agreement deadline in days')
    .option('--json', 'one object per obligation')
    .action((opts: PreviewOptions & { json?: boolean }) => {
      const obligations = preview(opts, ctx().config.clocks);
      if (opts.json) return console.log(JSON.stringify(previewJson(obligations), null, 2));
      console.log(`discovered ${opts.discovered} (${opts.role})`);
      console.log(describeObligations(obligations));
    });

  clocks
    .command('show <id>')
    .description('one clock: obligations, status, days left, notices, changes')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const client = await ctx().client();
      const clockId = clockIdOf(id);
      let view: ClockView;
      try {
        view = await clockView(client, clockId);
      } catch (err) {
        throw new CliError((err as Error).message, 3);
      }
      // What people typed into the clock (reasons, assessments) is masked like every CLI output.
      if (opts.json) return console.log(JSON.stringify(maskValue(view), null, 2));
      console.log(`${view.id}  ${view.status}  discovered ${view.discoveryDate}  (${view.settings.role}, ${view.settings.timeZone})`);
      console.log(obligationsNow(view));
      for (const c of view.changes) console.log(`    ${c.at}  ${c.what.padEnd(28)} ${maskText(c.by).padEnd(12)} ${maskText(c.message)}`);
    });

  clocks
    .command('start <incident>')
    .description('start a breach clock on any incident (a privacy officer): e.g. a triage that turns out to involve PHI')
    .option('--discovered <date>', 'ISO date or date-time of discovery (default: when the incident opened)')
    .requiredOption('--reason <text>', 'why this incident is a breach of unsecured PHI')
    .action(async (incident: string, o: { discovered?: string; reason: string }) => {
      const started = await ctx().api().post<{ id: string; discoveredAt: string }>('/clocks', { incidentId: incident, reason: o.reason, ...(o.discovered ? { discoveredAt: o.discovered } : {}) });
      console.log(`${started.id} started; discovery ${started.discoveredAt}`);
    });

  clocks
    .command('correct-discovery <id>')
    .description('45 CFR 164.404(a)(2): discovery was earlier (first known, or known with reasonable diligence); the deadlines are recomputed')
    .requiredOption('--discovered <date>', 'ISO date or date-time')
    .requiredOption('--reason <text>', 'what shows it was, or should have been, known then')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { discovered: string; reason: string; json?: boolean }) =>
      recordOnClock(ctx(), id, 'discovery', { discoveredAt: o.discovered, reason: o.reason }, o.json),
    );

  clocks
    .command('record-notice <id>')
    .description('record that an obligation\'s notice was sent (164.414(b): with a reference to its proof)')
    .requiredOption('--obligation <id>', 'the obligation, as `clocks show` lists it (individuals, hhs, media:CA, …)')
    .requiredOption('--sent-on <date>', 'the day the notice went out (YYYY-MM-DD)')
    .requiredOption('--evidence <ref>', 'where the proof of the notice is kept')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { obligation: string; sentOn: string; evidence: string; json?: boolean }) =>
      recordOnClock(ctx(), id, 'notices', { obligationId: o.obligation, sentOn: o.sentOn, evidence: o.evidence }, o.json),
    );

  clocks
    .command('record-facts <id>')
    .description('record what is now known of the breach; the deadlines are recomputed')
    .option('--affected <n>', 'individuals affected')
    .option('--state <XX=N>', 'residents affected in a State or jurisdiction (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--insufficient-contact <n>', 'individuals whose contact information is insufficient')
    .option('--reason <text>', 'where the figures come from')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { affected?: string; state: string[]; insufficientContact?: string; reason?: string; json?: boolean }) =>
      recordOnClock(
        ctx(),
        id,
        'facts',
        {
          ...(o.affected !== undefined ? { affected: count(o.affected, '--affected') } : {}),
          ...(o.state.length > 0 ? { byState: parseStates(o.state) } : {}),
          ...(o.insufficientContact !== undefined ? { insufficientContact: count(o.insufficientContact, '--insufficient-contact') } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
        },
        o.json,
      ),
    );

  clocks
    .command('record-delay <id>')
    .description('record a law-enforcement statement that delays notification (164.412)')
    .requiredOption('--form <form>', 'written | oral')
    .requiredOption('--stated-on <date>', 'the day of the statement (YYYY-MM-DD)')
    .option('--until <date>', 'written: the end of the delay it specifies')
    .requiredOption('--official <name>', 'the official who made it')
    .requiredOption('--agency <name>', 'their agency')
    .requiredOption('--reference <ref>', 'where the statement (or the note of the oral one) is kept')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { form: string; statedOn: string; until?: string; official: string; agency: string; reference: string; json?: boolean }) => {
      if (o.form !== 'written' && o.form !== 'oral') throw new CliError('--form: written or oral', 2);
      const statement = { form: o.form, statedOn: o.statedOn, official: o.official, agency: o.agency, reference: o.reference, ...(o.until ? { until: o.until } : {}) } as const;
      return recordOnClock(ctx(), id, 'delays', { statement }, o.json);
    });

  clocks
    .command('record-assessment <id>')
    .description('record the four-factor risk assessment (164.402(2)); a low probability of compromise closes the clock')
    .requiredOption('--nature-and-extent <text>', '(i) the PHI involved, identifiers, likelihood of re-identification')
    .requiredOption('--unauthorized-person <text>', '(ii) who used the PHI or to whom it was disclosed')
    .requiredOption('--acquired-or-viewed <text>', '(iii) whether the PHI was actually acquired or viewed')
    .requiredOption('--mitigation <text>', '(iv) the extent to which the risk has been mitigated')
    .requiredOption('--conclusion <c>', 'low-probability-of-compromise | notification-required')
    .requiredOption('--reference <ref>', 'where the signed assessment is kept')
    .option('--assessed-by <name>', 'who made the assessment (default: you, as your token says)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        id: string,
        o: { natureAndExtent: string; unauthorizedPerson: string; acquiredOrViewed: string; mitigation: string; conclusion: string; reference: string; assessedBy?: string; json?: boolean },
      ) => {
        if (o.conclusion !== 'low-probability-of-compromise' && o.conclusion !== 'notification-required') {
          throw new CliError('--conclusion: low-probability-of-compromise or notification-required', 2);
        }
        const assessment = {
          natureAndExtent: o.natureAndExtent,
          unauthorizedPerson: o.unauthorizedPerson,
          acquiredOrViewed: o.acquiredOrViewed,
          mitigation: o.mitigation,
          conclusion: o.conclusion,
          reference: o.reference,
          ...(o.assessedBy ? { assessedBy: o.assessedBy } : {}),
        } as const;
        return recordOnClock(ctx(), id, 'assessments', { assessment }, o.json);
      },
    );

  clocks
    .command('report')
    .description('the annual log of breaches under 500 for the Secretary (45 CFR 164.408(c))')
    .requiredOption('--year <year>', 'calendar year of discovery')
    .option('--json', 'machine-readable output')
    .action(async (opts: { year: string; json?: boolean }) => {
      const year = count(opts.year, '--year');
      const rows = smallBreachLog(await clocksOfYear(await ctx().client(), year));
      if (opts.json) return console.log(JSON.stringify({ year, breaches: rows }, null, 2));
      console.log(`Breaches under 500 individuals discovered in ${year} (due to HHS within 60 days after the end of the year):`);
      if (rows.length === 0) return console.log('  none');
      for (const r of rows) {
        const sent = r.submittedToHhs ? `submitted ${r.submittedToHhs.sentOn} (${r.submittedToHhs.evidence})` : 'NOT SUBMITTED';
        console.log(`  ${r.discovered}  ${String(r.affected ?? '?').padStart(4)} affected  ${r.states.join(',').padEnd(10)} due ${r.dueToHhs}  ${sent}  ${r.clock}`);
      }
    });
}
