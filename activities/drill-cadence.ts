/**
 * What the drill cadence reads and says: the runbooks as the worker has them (id, content hash,
 * owner) with every drill Temporal lists, and the reminder of a due drill (audited, then posted to
 * the compliance channel naming the runbook's owner). Runbook ids, owners and exercise ids only: no
 * alert text reaches the message.
 */
import { Context } from '@temporalio/activity';
import type { DrillRecord } from '../domain/exercise-report';
import { DRILL_CADENCE_SCHEDULE } from '../domain/ids';
import { exerciseRecords } from '../ingress/drills';
import type { DrillsConfig } from '../platform/drills-config';
import { readRunbooks } from '../runbooks';
import type { DueDrill } from '../workflows/drill-cadence-definitions';
import type { AuditSink } from './audit-sink';
import type { Notifier } from './notifier';

export interface DrillCadenceActivityDeps {
  runbooksDir: string;
  knownStepTypes: ReadonlySet<string>;
  approverGroups: Record<string, string[]>;
  notifier: Notifier;
  audit: AuditSink;
  drills: DrillsConfig;
}

export interface DrillInventory {
  runbooks: { id: string; contentHash: string; owner?: string }[];
  drills: DrillRecord[];
}

export type DueDrillNotice = DueDrill & {
  /** the cadence run's workflow time, so a retried activity writes the same audit record */
  at: string;
};

/** The reminder's words: which runbook, why it is due, when it was last drilled, who owns it, what to run. */
export function dueDrillMessage(n: DueDrill): string {
  const last = n.lastExercise ? `last drilled ${n.lastExercise.startedAt.slice(0, 10)} (${n.lastExercise.incidentId})` : 'never drilled';
  return `Drill due: runbook ${n.runbook} (owner ${n.owner ?? 'none named'}) is ${n.due}; ${last}. npx tourniquet drill start ${n.runbook}`;
}

export function createDrillCadenceActivities(deps: DrillCadenceActivityDeps) {
  return {
    async drillInventory(): Promise<DrillInventory> {
      // A broken file is skipped here as everywhere a running worker reads runbooks.
      const { runbooks } = readRunbooks(deps.runbooksDir, deps.knownStepTypes);
      return {
        runbooks: runbooks.map((r) => ({ id: r.runbook.id, contentHash: r.contentHash, ...(r.runbook.owner ? { owner: r.runbook.owner } : {}) })),
        drills: await exerciseRecords(Context.current().client),
      };
    },

    async remindDrillDue(n: DueDrillNotice): Promise<void> {
      const correlationId = `${DRILL_CADENCE_SCHEDULE}/${n.runbook}`;
      // Audited first, under an id fixed by the run: a retry after a failed post writes no second record.
      await deps.audit.append({
        id: `${correlationId}/${n.at}`,
        who: 'worker',
        what: 'drill.due',
        when: n.at,
        where: 'worker',
        why: { reason: n.due },
        correlationId,
        details: { runbook: n.runbook, owner: n.owner ?? null, lastExercise: n.lastExercise?.incidentId ?? null, channel: deps.drills.complianceChannel ?? null },
      });
      await deps.notifier.escalate({
        incidentId: correlationId,
        // A group owner is mentioned member by member; a person owner is named in the message.
        ...(n.owner && deps.approverGroups[n.owner] ? { group: n.owner } : {}),
        ...(deps.drills.complianceChannel ? { channel: deps.drills.complianceChannel } : {}),
        message: dueDrillMessage(n),
      });
    },
  };
}
