/**
 * keyRetirementWorkflow: what becomes of a KMS key that rotateKey replaced. The key stays enabled
 * (decrypt only, by its policy) and is watched in CloudTrail on a durable timer. Once it has been
 * unused for the configured period, its deletion is offered; two distinct approvers of the
 * rotation's group accept it; right before ScheduleKeyDeletion its use is looked up once more,
 * and a use since sends it back to watching with nothing written. The pending window can be
 * cancelled (CancelKeyDeletion, then EnableKey). It outlives the incident (parent-close ABANDON)
 * and never asks the incident anything.
 */
import { fingerprintOf } from '../../domain/ids';
import { noSubject } from '../../domain/decision-subjects';
import { groupsOf } from '../decision-guard';
import { onTheLedger } from './activity-options';
import { timerDecisions } from './timer-decisions';
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { AuditEvent } from '../../activities/audit-sink';
import { approvalOutcome, rejectApproval } from '../../domain/approval';
import type { Approval } from '../../domain/incident';
import {
  deletionApprovalPolicy,
  nextRetirementStatus,
  quietLongEnough,
  retirementEnded,
  type KeyRetirementEvent,
  type KeyRetirementStatus,
} from '../../domain/key-retirement';
import { auditOutbox, historyFull, outbox } from '../outbox';
import {
  approveKeyDeletionUpdate,
  cancelKmsKeyDeletionUpdate,
  keyDeletionCancelledSignal,
  keyRetirementStatusQuery,
  stopKeyRetirementSignal,
  type CarriedKeyRetirement,
  type KeyDeletionApproval,
  type KeyDeletionApprovalRequest,
  type KeyRetirementChange,
  type KeyRetirementInput,
  keyRetirementWorkflowId,
  type IgnoredSignal,
  type KeyRetirementRequest,
  type KeyRetirementView,
} from './definitions';

/** A usage check that cannot be done now is done at the next check: bounded, then given up. */
const watch = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5s', maximumInterval: '5 minutes' },
});

/** Writes that must happen however long AWS misbehaves; only a final error stops them. */
const act = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '5 minutes' },
});

/** What a person waits for (an update's answer): a few tries, then the error is theirs to see. */
const prompt = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

const tell = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5s', maximumInterval: '10 minutes' },
});

/** The audit log must not lose a record: waited out, never given up on. */
const audit = proxyActivities<Pick<Activities, 'recordAudit'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

const DEFAULT_HISTORY_LIMIT = 5_000;

function failureText(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message ?? String(err);
}

export async function keyRetirementWorkflow(input: KeyRetirementInput): Promise<KeyRetirementView> {
  const { workflowId } = workflowInfo();
  const carried = input.carried;
  const iso = (ms: number) => new Date(ms).toISOString();
  const nowIso = () => iso(Date.now());
  const policy = deletionApprovalPolicy(input.approvalGroup);
  const key = `KMS key ${input.keyId}`;

  let status: KeyRetirementStatus = carried?.status ?? 'watching';
  let quietSince = carried?.quietSince ?? Date.parse(input.startedAt);
  let lastUse = carried?.lastUse;
  let lastCheck = carried?.lastCheck;
  let offers = carried?.offers ?? 0;
  let offer = carried?.offer;
  let approvals: KeyDeletionApproval[] = carried?.approvals ?? [];
  let approvers: string[] = carried?.approvers ?? [];
  let deletion = carried?.deletion;
  const changes: KeyRetirementChange[] = carried?.changes ?? [];
  let stop: KeyRetirementRequest | undefined = carried?.stop;
  let cancelling = false;
  let woken = false;
  // People decide on this key weeks after its incident: proofs checked with the workers' keys.
  const ignored: IgnoredSignal[] = [];
  const decisions = timerDecisions(keyRetirementWorkflowId, ignored);

  // ---- outboxes: the audit log, and the responders' channel ----------------------------------

  const audits = auditOutbox((batch) => audit.recordAudit(batch));
  const notices = outbox<string>(async (texts) => {
    for (const text of texts) {
      try {
        await tell.announceKeyRetirement({ incidentId: input.incidentId, text });
      } catch (err) {
        record('kms.retirement.notice-failed', `a notice could not be posted: ${failureText(err)}`, 'worker');
      }
    }
  });

  function record(what: string, message: string, by: string, why: AuditEvent['why'] = {}, details: Record<string, unknown> = {}, where = 'worker'): void {
    const at = nowIso();
    changes.push({ at, by, what, message });
    audits.push({
      who: by,
      what,
      when: at,
      where,
      why: { incident: input.incidentId, step: input.stepId, ...why },
      correlationId: workflowId,
      details: { message, keyId: input.keyId, ...details },
    });
  }

  function move(event: KeyRetirementEvent): void {
    status = nextRetirementStatus(status, event);
  }

  const cli = `${fingerprintOf(input.incidentId)} ${input.stepId}`;

  function view(): KeyRetirementView {
    return {
      id: workflowId,
      keyId: input.keyId,
      keyArn: input.keyArn,
      replacementKeyId: input.replacementKeyId,
      aliases: input.aliases,
      incidentId: input.incidentId,
      stepId: input.stepId,
      status,
      unusedFor: input.unusedFor,
      checkEvery: input.checkEvery,
      pendingWindowDays: input.pendingWindowDays,
      approvalGroup: input.approvalGroup,
      quietSince: iso(quietSince),
      ...(lastUse ? { lastUse } : {}),
      ...(lastCheck ? { lastCheck } : {}),
      ...(offer ? { offer } : {}),
      approvals,
      ...(deletion ? { deletion } : {}),
      changes,
      asOf: nowIso(),
    };
  }

  // ---- approvals: the same rules as a runbook step's, for two people of the group -------------

  const asApprovals = (): Approval[] =>
    approvals.map((a) => ({ by: a.by, decision: 'approve', justification: a.justification, at: a.at, planHash: String(offer?.n ?? '') }));

  const approval = (req: KeyDeletionApprovalRequest) => ({ action: 'kms.deletion.approve', subject: { offer: String(req.offer ?? offer?.n ?? '') } }) as const;
  const cancellation = { action: 'kms.deletion.cancel', subject: noSubject() } as const;

  function refusal(req: KeyDeletionApprovalRequest, by: string | undefined, members: string[]): string | undefined {
    if (status !== 'offered' || !offer) return `deletion of ${input.keyId} is not on offer (the key is ${status})`;
    if (!req.justification?.trim()) return 'a justification is required';
    if (!by) return 'who approves is required';
    return rejectApproval({
      policy,
      approvals: asApprovals(),
      by,
      requester: input.requester,
      groups: { [policy.group]: members },
      escalated: false,
      ...(req.offer !== undefined ? { planHash: String(req.offer) } : {}),
      currentPlanHash: String(offer.n),
    });
  }

  setHandler(keyRetirementStatusQuery, view);

  setHandler(
    approveKeyDeletionUpdate,
    async (req) => {
      const got = decisions.guard.acceptChecked(req, approval(req));
      const actor = got instanceof Promise ? await got : got;
      // A grant carries the person's groups as they were when they decided; a request from before
      // decision proofs is checked against the group as configured now.
      const members = req.proof ? (groupsOf(actor)[policy.group] ?? []) : (approvers = await prompt.keyDeletionApprovers({ group: policy.group }));
      const why = refusal(req, actor.by, members);
      if (why) throw ApplicationFailure.nonRetryable(why, 'ApprovalRefused');
      approvals.push({ by: actor.by, justification: req.justification.trim(), at: nowIso() });
      record('kms.retirement.deletion-approved', `${actor.by} approved the deletion of ${input.keyId} (${approvals.length} of ${policy.approvers})`, actor.by, {
        justification: req.justification,
      }, {}, actor.via);
      // The last approval needed: look at the key's use once more and schedule, now.
      if (approvalOutcome(policy, asApprovals()) === 'approved') woken = true;
      return view();
    },
    {
      validator: (req) => {
        const grant = decisions.guard.checkOrDefer(req.proof, approval(req));
        const why = grant ? refusal(req, grant.by, groupsOf(grant)[policy.group] ?? []) : refusal(req, 'pending', ['pending']);
        if (why) throw new Error(why);
      },
    },
  );

  setHandler(
    cancelKmsKeyDeletionUpdate,
    async (req) => {
      const got = decisions.guard.acceptChecked(req, cancellation);
      const actor = got instanceof Promise ? await got : got;
      cancelling = true;
      try {
        await onTheLedger(prompt, { approvedBy: [], requestedBy: actor.by, reason: `cancel the deletion: ${req.reason}` }).acts.cancelKmsKeyDeletion({ keyId: input.keyId });
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`the deletion of ${input.keyId} could not be cancelled: ${failureText(err)}`, 'CancelFailed');
      } finally {
        cancelling = false;
      }
      record('kms.retirement.deletion-cancelled', `deletion of ${input.keyId} cancelled and the key enabled again: ${req.reason}`, actor.by, { reason: req.reason }, {}, actor.via);
      notices.push(`${key}: deletion cancelled by ${actor.by} and the key enabled again; it is watched again (decrypt only).`);
      backToWatching(Date.now());
      move('cancelled');
      woken = true;
      return view();
    },
    {
      validator: (req) => {
        decisions.guard.checkOrDefer(req.proof, cancellation);
        if (!req.reason?.trim()) throw new Error('a reason is required');
        if (status !== 'scheduled') throw new Error(`no deletion of ${input.keyId} is scheduled (the key is ${status})`);
        if (cancelling) throw new Error('the deletion is being cancelled already');
      },
    },
  );

  // The undo type cancelled the deletion itself (and enabled the key): take note, watch again.
  setHandler(keyDeletionCancelledSignal, async (req) => {
    const actor = await decisions.signal('kmsKeyDeletionCancelled', req.proof, 'kms.deletion.cancel', req.by, req.reason);
    if (!actor || status !== 'scheduled') return;
    record('kms.retirement.deletion-cancelled', `deletion of ${input.keyId} cancelled and the key enabled again: ${req.reason}`, actor.by, { reason: req.reason }, {}, actor.via);
    notices.push(`${key}: deletion cancelled by ${actor.by} and the key enabled again; it is watched again (decrypt only).`);
    backToWatching(Date.now());
    move('cancelled');
    woken = true;
  });

  setHandler(stopKeyRetirementSignal, async (req) => {
    const actor = await decisions.signal('stopKeyRetirement', req.proof, 'kms.deletion.cancel', req.by, req.reason);
    if (!actor) return;
    stop ??= { by: actor.by, reason: req.reason };
    woken = true;
  });

  function backToWatching(since: number): void {
    quietSince = Math.max(quietSince, since);
    approvals = [];
    offer = undefined;
    deletion = undefined;
  }

  // ---- CloudTrail ----------------------------------------------------------------------------

  /** The latest use since the key went quiet, or 'unknown' when CloudTrail could not be asked. */
  async function latestUse(): Promise<{ at: string; event: string } | null | 'unknown'> {
    const until = nowIso();
    try {
      const { lastUse: use } = await watch.lastKeyUse({ keyArn: input.keyArn, since: iso(quietSince), until });
      if (lastCheck && !lastCheck.ok) record('kms.retirement.check-recovered', `usage of ${input.keyId} can be checked again`, 'worker');
      lastCheck = { at: until, ok: true };
      if (use) {
        lastUse = use;
        quietSince = Math.max(quietSince, Date.parse(use.at));
      }
      return use;
    } catch (err) {
      const error = failureText(err);
      if (!lastCheck || lastCheck.ok) {
        record('kms.retirement.check-failed', `usage of ${input.keyId} could not be checked (${error}); deletion is not offered meanwhile`, 'worker');
        notices.push(`${key}: its use cannot be checked in CloudTrail (${error}); its deletion will not be offered until it can.`);
      }
      lastCheck = { at: until, ok: false, error };
      return 'unknown';
    }
  }

  async function watchAndOffer(): Promise<void> {
    const use = await latestUse();
    if (use === 'unknown') return;
    if (status === 'offered' && use) {
      record('kms.retirement.used', `${input.keyId} was used (${use.event} at ${use.at}); deletion is no longer offered`, 'worker', {}, { event: use.event, usedAt: use.at });
      notices.push(`${key} was used again (${use.event}); its deletion is no longer offered and any approvals are void.`);
      backToWatching(Date.parse(use.at));
      move('used');
      return;
    }
    if (status === 'watching' && quietLongEnough(quietSince, Date.now(), input.unusedForMs)) {
      approvers = await prompt.keyDeletionApprovers({ group: policy.group }).catch(() => approvers);
      offer = { n: ++offers, at: nowIso() };
      approvals = [];
      record('kms.retirement.deletion-offered', `${input.keyId} unused since ${iso(quietSince)} (${input.unusedFor}): deletion may now be requested (offer ${offer.n})`, 'worker');
      notices.push(
        `${key} (retired by ${input.stepId}) has not been used since ${iso(quietSince).slice(0, 10)} (${input.unusedFor}). ` +
          `Its deletion may now be requested: two of ${policy.group} run \`tourniquet kms approve-deletion ${cli} --as <you> --justification <why>\`; ` +
          `deletion then waits ${input.pendingWindowDays} days and can be cancelled.`,
      );
      move('quiet');
    }
  }

  /** Two approvals are in: look once more, then schedule, or write nothing and say why. */
  async function scheduleIfStillUnused(): Promise<void> {
    const use = await latestUse();
    if (use === 'unknown') return; // the approvals stand; tried again at the next check
    if (use) {
      record(
        'kms.retirement.used-before-deletion',
        `${input.keyId} was used (${use.event} at ${use.at}) after the deletion was offered; nothing was scheduled, the approvals are void`,
        'worker',
        {},
        { event: use.event, usedAt: use.at, approvers: approvals.map((a) => a.by) },
      );
      notices.push(`${key} was used (${use.event}) since its deletion was offered: nothing was scheduled; it is watched again.`);
      backToWatching(Date.parse(use.at));
      move('used');
      return;
    }
    try {
      const approved = { approvedBy: approvals.map((a) => a.by), reason: `retired key unused for ${input.unusedFor}: deletion approved` };
      const scheduled = await onTheLedger(act, approved).acts.scheduleKeyDeletion({ keyId: input.keyId, pendingWindowDays: input.pendingWindowDays });
      deletion = { scheduledAt: nowIso(), deletionDate: scheduled.deletionDate };
    } catch (err) {
      record('kms.retirement.schedule-failed', `ScheduleKeyDeletion of ${input.keyId} failed: ${failureText(err)}; the approvals stand`, 'worker');
      notices.push(`${key}: scheduling its deletion failed (${failureText(err)}); tried again at the next check.`);
      return;
    }
    record(
      'kms.retirement.deletion-scheduled',
      `deletion of ${input.keyId} scheduled for ${deletion.deletionDate} (pending window ${input.pendingWindowDays} days), approved by ${approvals.map((a) => a.by).join(' and ')}`,
      'worker',
      {},
      { deletionDate: deletion.deletionDate, approvers: approvals.map((a) => a.by) },
    );
    notices.push(`${key}: deletion scheduled for ${deletion.deletionDate.slice(0, 10)}; cancel with \`tourniquet kms cancel-deletion ${cli} --by <you> --reason <why>\`.`);
    move('scheduled');
  }

  /** While pending deletion: has KMS deleted it, or did someone cancel outside Tourniquet? */
  async function followDeletion(): Promise<void> {
    let seen: { state: string };
    try {
      seen = await watch.kmsKeyState({ keyId: input.keyId });
    } catch {
      return;
    }
    if (status !== 'scheduled' || cancelling) return; // a cancellation ran meanwhile
    if (seen.state === 'Gone') {
      record('kms.retirement.deleted', `KMS deleted ${input.keyId}`, 'worker');
      notices.push(`${key} has been deleted by KMS at the end of its pending window.`);
      move('gone');
    } else if (seen.state !== 'PendingDeletion') {
      record('kms.retirement.cancelled-elsewhere', `${input.keyId} is ${seen.state}: its deletion was cancelled outside Tourniquet; watching again`, 'worker');
      backToWatching(Date.now());
      move('cancelled');
    }
  }

  async function stopNow(req: KeyRetirementRequest): Promise<void> {
    if (status === 'scheduled') {
      try {
        await onTheLedger(act, { approvedBy: [], ...(req.by ? { requestedBy: req.by } : {}), reason: `retirement stopped: ${req.reason}` }).acts.cancelKmsKeyDeletion({ keyId: input.keyId });
      } catch (err) {
        record('kms.retirement.cancel-failed', `the scheduled deletion of ${input.keyId} could not be cancelled: ${failureText(err)}`, 'worker');
        notices.push(`${key}: its scheduled deletion could NOT be cancelled (${failureText(err)}); cancel it by hand before ${deletion?.deletionDate ?? 'the end of the window'}.`);
      }
    }
    record('kms.retirement.stopped', `retirement of ${input.keyId} stopped: ${req.reason}`, req.by ?? 'unknown', { reason: req.reason });
    move('stop');
  }

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;

  async function carryOn(): Promise<never> {
    await condition(() => allHandlersFinished() && audits.quiet() && notices.quiet());
    const next: CarriedKeyRetirement = {
      status,
      quietSince,
      ...(lastUse ? { lastUse } : {}),
      ...(lastCheck ? { lastCheck } : {}),
      offers,
      ...(offer ? { offer } : {}),
      approvals,
      approvers,
      ...(deletion ? { deletion } : {}),
      changes,
      ...(stop ? { stop } : {}),
    };
    return continueAsNew<typeof keyRetirementWorkflow>({ ...input, carried: next });
  }

  // ---- main: check on a durable timer, wake early for approvals, cancellations and a stop ------

  if (!carried) {
    approvers = await prompt.keyDeletionApprovers({ group: policy.group }).catch(() => []);
    record(
      'kms.retirement.started',
      `${input.keyId} retired (decrypt only) and replaced by ${input.replacementKeyId}; deletion may be asked for once unused for ${input.unusedFor}`,
      'worker',
    );
  }

  const approved = () => status === 'offered' && approvalOutcome(policy, asApprovals()) === 'approved';
  while (!retirementEnded(status)) {
    if (stop) {
      await stopNow(stop);
      break;
    }
    if (historyFull(historyLimit)) await carryOn();
    // Set by a handler while the step below runs: then act again at once instead of sleeping.
    woken = false;
    if (approved()) await scheduleIfStillUnused();
    else if (status === 'scheduled') await followDeletion();
    else await watchAndOffer();
    if (retirementEnded(status)) break;
    const untilQuiet = quietSince + input.unusedForMs - Date.now();
    const wait = status === 'watching' ? Math.min(input.checkEveryMs, untilQuiet) : input.checkEveryMs;
    await condition(() => woken || stop !== undefined, Math.max(1, wait));
  }

  await condition(() => allHandlersFinished() && audits.quiet() && notices.quiet());
  return view();
}
