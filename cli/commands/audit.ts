import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ledgerIdsOfText, writeCoverage, type WriteCoverage } from '../../activities/audit/coverage';
import { readCheckpoints, verifyAuditLog, type AuditVerification } from '../../activities/audit';
import { readAnchors, readWitness } from '../../activities/audit/anchors';
import { anchorVerifierFor, witnessFile } from '../../activities/audit/from-config';
import { auditLogPath, evidenceStoreFor } from '../../activities/evidence';
import type { Config } from '../../platform/config';
import { type CliContext, CliError } from '../context';

/** The configured log against its signed anchors (evidence store and witness) and older checkpoints. */
export async function verifyAudit(config: Config, now = new Date()): Promise<AuditVerification & { path: string }> {
  const path = auditLogPath(config);
  const store = evidenceStoreFor(config);
  const witness = readWitness(witnessFile(config));
  const evidence = {
    anchors: await readAnchors(store),
    ...(witness ? { witness } : {}),
    verifier: anchorVerifierFor(config),
    anchorEveryMs: config.audit.anchorEverySeconds * 1000,
    now,
  };
  return { path, ...(await verifyAuditLog(path, await readCheckpoints(store), evidence)) };
}

export function describeAudit(report: AuditVerification & { path: string }): string {
  const anchored = report.anchored ? `, anchored to seq ${report.anchored.seq} (${report.anchored.at})` : ', no anchor yet';
  const tail = report.unanchored ? `; seq ${report.unanchored.fromSeq}..${report.unanchored.toSeq} not yet anchored (since ${report.unanchored.since})` : '';
  if (report.intact) return `${report.path}: intact, ${report.records} records, head seq ${report.head.seq} ${report.head.hash.slice(0, 16)}${anchored}${tail}`;
  return [
    `${report.path}: BROKEN (${report.breaks.length} problem(s) in ${report.records} records)`,
    ...report.breaks.map((b) => `  line ${b.line}${b.seq !== undefined ? ` (seq ${b.seq})` : ''}: ${b.problem}`),
  ].join('\n');
}

/** The ledger against the writes the workflows report (see activities/audit/coverage.ts). */
export async function verifyCoverage(ctx: CliContext): Promise<WriteCoverage> {
  const path = auditLogPath(ctx.config);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
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
      if (!report.intact) throw new CliError(`the audit log breaks at line ${report.breaks[0]!.line}: ${report.breaks[0]!.problem}`, 1);
      if (coverage && coverage.missing.length > 0) throw new CliError(`${coverage.missing.length} reported AWS write(s) have no ledger record`, 1);
    });
}
