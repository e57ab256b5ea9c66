/**
 * blockTraffic: add attacker addresses to a WAFv2 IP set, time-boxed. The playbook adds the entries
 * and hands the expiry to `blockExpiryWorkflow` (its own workflow, abandoned on close), so the
 * incident goes on while the block's durable timer runs, and the block is lifted even if the
 * incident ends first.
 */
import { condition, ParentClosePolicy, patched, setHandler, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IpSetRef } from '../../activities/aws';
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { onTheLedger, persistentActivities, playbookActivities, stepAuthority } from './activity-options';
import type { WriteAuthority } from '../../domain/ledger';
import {
  blockedCidrsKey,
  blockExpiryWorkflowId,
  blockTag,
  blockStatusQuery,
  extendBlockUpdate,
  liftBlockSignal,
  parseDurationMs,
  type BlockStatus,
  type IgnoredSignal,
} from './definitions';
import { timerDecisions } from './timer-decisions';
import type { KnownUndo } from './undo-kinds';

export interface BlockExpiryInput {
  ipSet: IpSetRef;
  /** the entries this block added; only these are lifted */
  cidrs: string[];
  durationMs: number;
  /** the approvals of the step that made the block: on the ledger with the lift */
  authority?: WriteAuthority;
}

export async function blockTrafficWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const authority = stepAuthority(input);
  const { acts, written } = onTheLedger(playbookActivities(step), authority);
  const plan = await acts.prepareBlock(input);
  const set = `WAF IP set ${plan.ipSet.name}`;
  // Entries another incident's running block holds are held by this block too, so the first
  // expiry does not lift what the other incident still needs. Entries nobody holds (put there by
  // hand) are never claimed, so never lifted.
  const shared =
    patched('shared-blocks') && plan.alreadyPresent.length > 0
      ? await acts.heldByOtherBlocks({ ipSet: plan.ipSet, cidrs: plan.alreadyPresent })
      : [];
  const owned = [...plan.toAdd, ...shared];
  if (owned.length === 0) {
    return { summary: `${plan.alreadyPresent.join(', ')} already blocked in ${set}; nothing added`, writes: written };
  }
  if (plan.toAdd.length > 0) await acts.addToIpSet({ ipSet: plan.ipSet, cidrs: plan.toAdd });
  const expiryId = blockExpiryWorkflowId(input.incidentId, input.stepId);
  await startChild(blockExpiryWorkflow, {
    workflowId: expiryId,
    args: [{ ipSet: plan.ipSet, cidrs: owned, durationMs: plan.durationMs, authority }],
    typedSearchAttributes: [{ key: blockedCidrsKey, value: owned.map((cidr) => blockTag(plan.ipSet.id, cidr)) }],
    // The block must be lifted at expiry whatever happens to the incident.
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  const sharedNote = shared.length > 0 ? `; ${shared.join(', ')} also held by another incident's block` : '';
  return {
    summary: `blocked ${owned.join(', ')} in ${set} for ${plan.duration}${plan.alreadyPresent.length > 0 ? ` (${plan.alreadyPresent.length} already there)` : ''}${sharedNote}`,
    writes: written,
    undo: {
      type: 'unblockTraffic',
      params: { ipSet: plan.ipSet, cidrs: owned, blockExpiryWorkflowId: expiryId },
      description: `lift the block of ${owned.join(', ')} in ${set} now`,
    } satisfies KnownUndo,
  };
}

/** Holds a block until it expires (extendable), then lifts exactly the entries it owns. */
export async function blockExpiryWorkflow(input: BlockExpiryInput): Promise<BlockStatus> {
  let expiresAt = Date.now() + input.durationMs;
  const extensions: BlockStatus['extensions'] = [];
  let lifted: BlockStatus['lifted'];
  const ignored: IgnoredSignal[] = [];
  const status = (): BlockStatus => ({
    cidrs: input.cidrs,
    ipSet: input.ipSet.name,
    expiresAt: new Date(expiresAt).toISOString(),
    extensions,
    ...(lifted ? { lifted } : {}),
    ...(ignored.length > 0 ? { ignored } : {}),
  });
  const decisions = timerDecisions(blockExpiryWorkflowId, ignored);

  setHandler(blockStatusQuery, status);
  setHandler(liftBlockSignal, async ({ proof, by, reason }) => {
    const actor = await decisions.signal('liftBlock', proof, 'block.lift', by, reason);
    if (actor) lifted ??= { at: new Date().toISOString(), by: actor.by, reason };
  });
  setHandler(
    extendBlockUpdate,
    async (req) => {
      const expected = { action: 'block.extend', subject: { extendBy: req.extendBy } } as const;
      const got = decisions.guard.acceptChecked(req, expected);
      // Awaited only while the keys are still being read: an await would let another update run first.
      const actor = got instanceof Promise ? await got : got;
      expiresAt += parseDurationMs(req.extendBy)!;
      extensions.push({ by: actor.by, extendBy: req.extendBy, reason: req.reason });
      // Requests from before decision proofs replay without a record of their own.
      if (req.proof) void decisions.record('extendBlock.accepted', actor, req.reason, { extendBy: req.extendBy });
      return status();
    },
    {
      validator: (req) => {
        if (!req.reason?.trim()) throw new Error('extendBlock needs a reason');
        if (parseDurationMs(req.extendBy) === undefined) throw new Error(`${JSON.stringify(req.extendBy)} is not a duration such as 12h`);
        if (lifted) throw new Error('the block is already lifted');
        decisions.guard.checkOrDefer(req.proof, { action: 'block.extend', subject: { extendBy: req.extendBy } });
      },
    },
  );

  // An extension moves the deadline: wait again for whatever time is left.
  while (!lifted) {
    const left = expiresAt - Date.now();
    if (left <= 0) break;
    const deadline = expiresAt;
    await condition(() => lifted !== undefined || expiresAt !== deadline, left);
  }
  lifted ??= { at: new Date().toISOString(), by: 'expiry', reason: 'the block expired' };
  const { acts: lift, written } = onTheLedger(persistentActivities(), {
    approvedBy: input.authority?.approvedBy ?? [],
    ...(lifted.by !== 'expiry' ? { requestedBy: lifted.by } : {}),
    reason: lifted.by === 'expiry' ? 'the block expired' : `lifted: ${lifted.reason}`,
  });
  if (patched('shared-blocks')) {
    // Drop the claim first: two blocks expiring together then both see the entry as free.
    upsertSearchAttributes([{ key: blockedCidrsKey, value: [] }]);
    await lift.releaseFromIpSet({ ipSet: input.ipSet, cidrs: input.cidrs, owner: workflowInfo().workflowId });
  } else {
    await lift.removeFromIpSet({ ipSet: input.ipSet, cidrs: input.cidrs });
  }
  return { ...status(), writes: written };
}
