import type { Command } from 'commander';
import { readCheckpoints, verifyAuditLog, type AuditVerification } from '../../activities/audit';
import { auditLogPath, evidenceStoreFor } from '../../activities/evidence';
import type { Config } from '../../platform/config';
import { type CliContext, CliError } from '../context';

export async function verifyAudit(config: Config): Promise<AuditVerification & { path: string }> {
  const path = auditLogPath(config);
  return { path, ...(await verifyAuditLog(path, await readCheckpoints(evidenceStoreFor(config)))) };
}

export function describeAudit(report: AuditVerification & { path: string }): string {
  if (report.intact) return `${report.path}: intact, ${report.records} records, head seq ${report.head.seq} ${report.head.hash.slice(0, 16)}`;
  return [
    `${report.path}: BROKEN (${report.breaks.length} problem(s) in ${report.records} records)`,
    ...report.breaks.map((b) => `  line ${b.line}${b.seq !== undefined ? ` (seq ${b.seq})` : ''}: ${b.problem}`),
  ].join('\n');
}

export function register(program: Command, ctx: () => CliContext): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('re-derive the chain and its checkpoints; says where it breaks (exit 1)')
    .option('--json', 'machine-readable report')
    .action(async (opts: { json?: boolean }) => {
      const report = await verifyAudit(ctx().config);
      console.log(opts.json ? JSON.stringify(report, null, 2) : describeAudit(report));
      if (!report.intact) throw new CliError(`the audit log chain breaks at line ${report.breaks[0]!.line}`, 1);
    });
}
