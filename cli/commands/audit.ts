import type { Command } from 'commander';
import { ledgerIdsOfText, writeCoverage, type WriteCoverage } from '../../activities/audit/coverage';
import { readCheckpoints, verifyChain, type AuditVerification } from '../../activities/audit';
import { readAnchors, readWitness } from '../../activities/audit/anchors';
import { anchorVerifierFor, readLedger, witnessFile } from '../../activities/audit/from-config';
import { AUDIT_SCHEMA_SQL, auditGrantsSql } from '../../activities/audit/postgres-schema';
import { evidenceStoreFor } from '../../activities/evidence';
import type { Config } from '../../platform/config';
import { type CliContext, CliError } from '../context';

type LedgerReport = AuditVerification & { path: string; unit: 'line' | 'row' };

/**
 * The configured ledger (file or PostgreSQL, read the same way) against its signed anchors
 * (evidence store and witness) and older checkpoints.
 */
export async function verifyAudit(config: Config, now = new Date()): Promise<LedgerReport> {
  const store = evidenceStoreFor(config);
  const witness = readWitness(witnessFile(config));
  const evidence = {
    anchors: await readAnchors(store),
    ...(witness ? { witness } : {}),
    verifier: anchorVerifierFor(config),
    anchorEveryMs: config.audit.anchorEverySeconds * 1000,
    now,
  };
  const ledger = await readLedger(config);
  const report = verifyChain(ledger.text, await readCheckpoints(store), evidence);
  const breaks = [...report.breaks, ...ledger.mismatches.map((m) => ({ line: m.row, seq: m.seq, problem: m.problem }))].sort((a, b) => a.line - b.line);
  return { ...report, intact: breaks.length === 0, breaks, path: ledger.name, unit: config.audit.postgres ? 'row' : 'line' };
}

export function describeAudit(report: AuditVerification & { path: string; unit?: 'line' | 'row' }): string {
  const anchored = report.anchored ? `, anchored to seq ${report.anchored.seq} (${report.anchored.at})` : ', no anchor yet';
  const tail = report.unanchored ? `; seq ${report.unanchored.fromSeq}..${report.unanchored.toSeq} not yet anchored (since ${report.unanchored.since})` : '';
  if (report.intact) return `${report.path}: intact, ${report.records} records, head seq ${report.head.seq} ${report.head.hash.slice(0, 16)}${anchored}${tail}`;
  return [
    `${report.path}: BROKEN (${report.breaks.length} problem(s) in ${report.records} records)`,
    ...report.breaks.map((b) => `  ${report.unit ?? 'line'} ${b.line}${b.seq !== undefined ? ` (seq ${b.seq})` : ''}: ${b.problem}`),
  ].join('\n');
}

/** The ledger against the writes the workflows report (see activities/audit/coverage.ts). */
export async function verifyCoverage(ctx: CliContext): Promise<WriteCoverage> {
  const { text } = await readLedger(ctx.config);
  return writeCoverage(await ctx.client(), ledgerIdsOfText(text));
}

export function describeCoverage(coverage: WriteCoverage): string {
  if (coverage.missing.length === 0) return `coverage: all ${coverage.reported} AWS write(s) the workflows report are on the ledger`;
  return [
    `coverage: ${coverage.missing.length} of ${coverage.reported} reported AWS write(s) are MISSING from the ledger`,
    ...coverage.missing.map((m) => `  ${m.workflowId}${m.stepId ? ` step ${m.stepId}` : ''}: ${m.ledgerId}`),
  ].join('\n');
}

export function register(program: Command, ctx: () => CliContext): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('re-derive the chain and check it against its signed anchors; says where it breaks (exit 1)')
    .option('--json', 'machine-readable report')
    .option('--no-coverage', 'skip checking the ledger against the AWS writes the workflows report (needs Temporal)')
    .action(async (opts: { json?: boolean; coverage: boolean }) => {
      const report = await verifyAudit(ctx().config);
      const coverage = opts.coverage ? await verifyCoverage(ctx()) : undefined;
      console.log(opts.json ? JSON.stringify({ ...report, ...(coverage ? { coverage } : {}) }, null, 2) : describeAudit(report));
      if (coverage && !opts.json) console.log(describeCoverage(coverage));
      if (!report.intact) throw new CliError(`the audit log breaks at ${report.unit} ${report.breaks[0]!.line}: ${report.breaks[0]!.problem}`, 1);
      if (coverage && coverage.missing.length > 0) throw new CliError(`${coverage.missing.length} reported AWS write(s) have no ledger record`, 1);
    });
  audit
    .command('postgres-schema')
    .description("print the SQL that creates the shared ledger's table and grants its roles (run it as the database's owner)")
    .requiredOption('--writer <role>', 'the role Tourniquet processes connect as (INSERT and SELECT only)')
    .option('--reader <role>', 'a read-only role for examiners running audit verify (SELECT only)')
    .action((opts: { writer: string; reader?: string }) => {
      console.log(`${AUDIT_SCHEMA_SQL.trim()}\n${auditGrantsSql(opts.writer, opts.reader)}`);
    });
}
