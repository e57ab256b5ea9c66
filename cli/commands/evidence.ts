import type { Command } from 'commander';
import { auditLogPath, evidenceStoreFor, manifestAnchors, verifyIncidentEvidence, type EvidenceCheck } from '../../activities/evidence';
import type { Config } from '../../platform/config';
import { type CliContext, CliError } from '../context';
import { normaliseIncidentId } from './incidents';

/** Exit codes of `evidence verify`: a script can tell a clean result from tampering from loss. */
export const EVIDENCE_EXIT = { intact: 0, altered: 1, missing: 2 } as const;

export async function verifyEvidence(config: Config, incident: string): Promise<EvidenceCheck> {
  const incidentId = normaliseIncidentId(incident);
  return verifyIncidentEvidence(evidenceStoreFor(config), incidentId, await manifestAnchors(auditLogPath(config), incidentId));
}

export function describeEvidence(check: EvidenceCheck): string {
  if (check.snapshots.length === 0) return `${check.incidentId}: no evidence snapshots found`;
  const lines = [`${check.incidentId}: ${check.status.toUpperCase()}`];
  for (const s of check.snapshots) {
    lines.push(`  snapshot ${s.snapshotId}  manifest ${s.manifest}${s.problems.length ? ` (${s.problems.join('; ')})` : ''}`);
    for (const a of s.artifacts) lines.push(`    ${a.status.padEnd(8)} ${a.name}${a.problem ? ` (${a.problem})` : ''}`);
  }
  return lines.join('\n');
}

export function register(program: Command, ctx: () => CliContext): void {
  const evidence = program.command('evidence').description('evidence snapshots: manifests, hashes, chain of custody');
  evidence
    .command('verify <incident>')
    .description('recompute every artifact and manifest hash; exit 0 intact, 1 altered, 2 missing')
    .option('--json', 'machine-readable report')
    .action(async (incident: string, opts: { json?: boolean }) => {
      const check = await verifyEvidence(ctx().config, incident);
      console.log(opts.json ? JSON.stringify(check, null, 2) : describeEvidence(check));
      if (check.status !== 'intact') throw new CliError(`evidence for ${check.incidentId} is ${check.status}`, EVIDENCE_EXIT[check.status]);
    });
}
