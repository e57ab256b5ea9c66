import type { Client } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { INCIDENT_WORKFLOW, stateQuery } from '../../workflows/definitions';
import { BLOCK_EXPIRY_WORKFLOW, KEY_DELETION_WORKFLOW, type BlockStatus, type KeyDeletionStatus } from '../../workflows/playbooks/definitions';

/**
 * The ledger's coverage, checked against what the workflows report. Every playbook step keeps the
 * ledger ids of its AWS writes (and its undo's) in the incident's state; the timers that write
 * later (a block's lift, a key deletion) return theirs. A write reported here with no record on the
 * ledger was removed from it, whatever the chain says: a chain can be re-sealed around a cut.
 */
export interface WriteCoverage {
  reported: number;
  missing: { workflowId: string; stepId?: string; ledgerId: string }[];
}

export async function writeCoverage(client: Client, onLedger: ReadonlySet<string>): Promise<WriteCoverage> {
  const coverage: WriteCoverage = { reported: 0, missing: [] };
  const check = (workflowId: string, ids: string[] | undefined, stepId?: string) => {
    for (const ledgerId of ids ?? []) {
      coverage.reported += 1;
      if (!onLedger.has(ledgerId)) coverage.missing.push({ workflowId, ...(stepId ? { stepId } : {}), ledgerId });
    }
  };
  // Closed runs answer with their result (no worker needed); running incidents with their state.
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${INCIDENT_WORKFLOW}' AND ExecutionStatus != 'ContinuedAsNew'` })) {
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    const state: IncidentState = wf.status.name === 'RUNNING' ? await handle.query(stateQuery) : await handle.result();
    for (const step of state.steps ?? []) check(wf.workflowId, step.writes, step.id);
  }
  for (const type of [BLOCK_EXPIRY_WORKFLOW, KEY_DELETION_WORKFLOW]) {
    for await (const wf of client.workflow.list({ query: `WorkflowType = '${type}' AND ExecutionStatus = 'Completed'` })) {
      const status = (await client.workflow.getHandle(wf.workflowId, wf.runId).result()) as BlockStatus | KeyDeletionStatus;
      check(wf.workflowId, status.writes);
    }
  }
  return coverage;
}

/** The event ids of a file ledger's records (lines that do not parse are verify's to report). */
export function ledgerIdsOfText(text: string): Set<string> {
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const id = (JSON.parse(line) as { id?: unknown }).id;
      if (typeof id === 'string') ids.add(id);
    } catch {
      // not a record: verifyChain names the line
    }
  }
  return ids;
}
