/**
 * accessGrantWorkflow (`access/<request>`): one break-glass request, from the ask to the
 * revocation. The requester's proof binds the plan (what, to whom, for how long, for which
 * incident); approvers of the profile's group approve that exact plan (the requester never counts,
 * nor one person twice); the grant is written on the ledger, and a durable timer ends the window.
 * Between, every `checkEvery` the grant asks whether its incident is still open and its holder
 * still configured: a resolved incident or a removed holder ends it at once. The requester or an
 * approver may revoke early; an extension is a new plan, approved anew. Revocation is idempotent
 * and retried until it lands, so a lost worker or a restarted server never leaves access behind.
 */
import { condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { accessPlan, describeGrant, nextAccessStatus, rejectAccessRequest, type AccessEnd, type AccessEvent, type AccessStatus } from '../../domain/access';
import { rejectApproval } from '../../domain/approval';
import { noSubject } from '../../domain/decision-subjects';
import { parseDurationMs } from '../../domain/duration';
import type { Approval } from '../../domain/incident';
import type { WriteAuthority } from '../../domain/ledger';
import type { ApprovalPolicy } from '../../domain/runbook';
import { DecisionGuard, groupsOf, notAuthorised, type VerifiedActor } from '../decision-guard';
import { auditOutbox } from '../outbox';
import { decisionActivities, onTheLedger, persistentActivities } from '../playbooks/activity-options';
import {
  accessStatusQuery,
  decideAccessUpdate,
  extendAccessUpdate,
  revokeAccessUpdate,
  type AccessChange,
  type AccessDecision,
  type AccessDecisionRequest,
  type AccessGrantView,
  type AccessRequestInput,
} from './definitions';

/** Checks and notices: a few tries each time; the next check tries again. */
const ask = proxyActivities<Pick<Activities, 'accessHolderCheck' | 'announceAccess' | 'escalateAccess'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
});

/** Granting is for a person waiting: bounded, then the request ends refused. */
const granting = proxyActivities<Pick<Activities, 'grantAccess'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

function failureText(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message ?? String(err);
}

export async function accessGrantWorkflow(input: AccessRequestInput): Promise<AccessGrantView> {
  const { workflowId } = workflowInfo();
  const iso = (ms: number) => new Date(ms).toISOString();
  const nowIso = () => iso(Date.now());
  const guard = new DecisionGuard();
  const decisions = decisionActivities();
  const keys = decisions.decisionKeys();
  guard.load(keys);

  let status: AccessStatus = 'requested';
  const changes: AccessChange[] = [];
  const ledger: string[] = [];
  const requestPlan = accessPlan({ requestId: input.requestId, grant: input.grant, person: input.requester, duration: input.duration, incidentId: input.incidentId });
  let pending: AccessGrantView['pending'] = { plan: requestPlan.lines, planHash: requestPlan.hash, kind: 'request', decisions: [] };
  let grantedAt: number | undefined;
  let expiresAt: number | undefined;
  let endedAt: number | undefined;
  let end: AccessGrantView['end'];
  let approvedBy: string[] = [];
  let endRequest: { why: AccessEnd; by: string; reason: string } | undefined;
  let extensionApproved: number | undefined;
  const policy: ApprovalPolicy = { group: input.approverGroup, approvers: input.approvers, timeout: input.approvalTimeout as ApprovalPolicy['timeout'], finalTimeout: '1m', onTimeout: 'deny' };

  const audits = auditOutbox((batch) => decisions.recordAudit(batch));

  function record(what: string, message: string, by: string, where = 'worker', details: Record<string, unknown> = {}): void {
    const at = nowIso();
    changes.push({ at, by, what, message });
    audits.push({
      who: by,
      what,
      when: at,
      where,
      why: { ...(input.incidentId ? { incident: input.incidentId } : {}), reason: input.reason },
      correlationId: workflowId,
      details: { message, profile: input.profile, requester: input.requester, grant: describeGrant(input.grant), ...details },
    });
  }

  const move = (event: AccessEvent) => void (status = nextAccessStatus(status, event));

  function view(): AccessGrantView {
    return {
      id: workflowId,
      requestId: input.requestId,
      profile: input.profile,
      requester: input.requester,
      grant: input.grant,
      status,
      duration: input.duration,
      ...(input.incidentId ? { incidentId: input.incidentId } : {}),
      approverGroup: input.approverGroup,
      approvers: input.approvers,
      ...(pending ? { pending } : {}),
      ...(grantedAt !== undefined ? { grantedAt: iso(grantedAt) } : {}),
      ...(expiresAt !== undefined ? { expiresAt: iso(expiresAt) } : {}),
      ...(endedAt !== undefined ? { endedAt: iso(endedAt) } : {}),
      ...(end ? { end } : {}),
      ledger,
      changes,
      asOf: nowIso(),
    };
  }

  // ---- decisions -------------------------------------------------------------------------------

  const asApprovals = (): Approval[] => (pending?.decisions ?? []).map((d) => ({ by: d.by, decision: d.decision, justification: d.justification, at: d.at, planHash: d.planHash }));
  const decision = (req: AccessDecisionRequest) => ({ action: 'access.approve', subject: { planHash: String(req.planHash), decision: String(req.decision) } }) as const;

  function decisionRefusal(req: AccessDecisionRequest, by: string, groups: Record<string, string[]>): string | undefined {
    if (!pending) return `nothing of ${workflowId} awaits a decision (it is ${status})`;
    if (req.decision !== 'approve' && req.decision !== 'deny') return 'the decision must be approve or deny';
    if (!req.justification?.trim()) return 'a justification is required';
    return rejectApproval({ policy, approvals: asApprovals(), by, requester: input.requester, groups, escalated: false, planHash: req.planHash, currentPlanHash: pending.planHash });
  }

  setHandler(accessStatusQuery, view);

  setHandler(
    decideAccessUpdate,
    async (req) => {
      const got = guard.acceptChecked(req, decision(req));
      const actor = got instanceof Promise ? await got : got;
      const why = decisionRefusal(req, actor.by, groupsOf(actor));
      if (why) throw notAuthorised(why);
      const entry: AccessDecision = { by: actor.by, decision: req.decision, justification: req.justification.trim(), at: nowIso(), planHash: req.planHash };
      pending!.decisions.push(entry);
      record(`access.${pending!.kind === 'extension' ? 'extension.' : ''}${req.decision === 'approve' ? 'approved' : 'denied'}`, `${actor.by} ${req.decision === 'approve' ? 'approved' : 'denied'} ${pending!.plan[0]}`, actor.by, actor.via, {
        justification: entry.justification,
        planHash: req.planHash,
      });
      return view();
    },
    {
      validator: (req) => {
        const grant = guard.checkOrDefer(req.proof, decision(req));
        if (!grant) return;
        const why = decisionRefusal(req, grant.by, groupsOf(grant));
        if (why) throw notAuthorised(why);
      },
    },
  );

  const revocation = { action: 'access.revoke', subject: noSubject() } as const;
  /** The holder may give access back; an approver of the profile may take it. */
  function revokeRefusal(actor: Pick<VerifiedActor, 'by' | 'groups'>): string | undefined {
    if (status === 'revoked' || status === 'denied' || status === 'refused' || status === 'lapsed') return `${workflowId} has ended (${status})`;
    if (actor.by !== input.requester && !actor.groups.includes(input.approverGroup)) return `${actor.by} may not revoke ${workflowId}: only its holder or a member of ${input.approverGroup}`;
    return undefined;
  }

  setHandler(
    revokeAccessUpdate,
    async (req) => {
      const got = guard.acceptChecked(req, revocation);
      const actor = got instanceof Promise ? await got : got;
      const why = revokeRefusal(actor);
      if (why) throw notAuthorised(why);
      endRequest ??= { why: 'revoked', by: actor.by, reason: req.reason };
      record('access.revoke.requested', `${actor.by} asked for the access to be revoked`, actor.by, actor.via, { revokeReason: req.reason });
      return view();
    },
    {
      validator: (req) => {
        const grant = guard.checkOrDefer(req.proof, revocation);
        if (!req.reason?.trim()) throw new Error('a reason is required');
        if (!grant) return;
        const why = revokeRefusal(grant);
        if (why) throw notAuthorised(why);
      },
    },
  );

  const extension = (extendBy: string) => ({ action: 'access.request', subject: { extendBy: String(extendBy) } }) as const;
  function extendRefusal(by: string, extendBy: string): string | undefined {
    if (status !== 'active' || expiresAt === undefined) return `${workflowId} is not active (it is ${status})`;
    if (by !== input.requester) return `only ${input.requester}, who holds it, may ask to extend ${workflowId}`;
    if (pending) return 'an extension is already waiting for approval';
    const ms = parseDurationMs(extendBy);
    if (ms === undefined || ms <= 0) return `${extendBy} is not a duration such as 30m or 1h`;
    if (ms > parseDurationMs(input.maxDuration)!) return `${extendBy} is longer than profile ${input.profile} allows (at most ${input.maxDuration})`;
    return undefined;
  }

  setHandler(
    extendAccessUpdate,
    async (req) => {
      const got = guard.acceptChecked(req, extension(req.extendBy));
      const actor = got instanceof Promise ? await got : got;
      const why = extendRefusal(actor.by, req.extendBy);
      if (why) throw notAuthorised(why);
      const until = iso(expiresAt! + parseDurationMs(req.extendBy)!);
      const plan = accessPlan({ requestId: input.requestId, grant: input.grant, person: input.requester, duration: req.extendBy, incidentId: input.incidentId, until });
      pending = { plan: plan.lines, planHash: plan.hash, kind: 'extension', decisions: [], until };
      record('access.extension.requested', `${actor.by} asked to extend the window to ${until}`, actor.by, actor.via, { extendReason: req.reason, planHash: plan.hash });
      notices(`break-glass \`${workflowId}\`: ${actor.by} asks to extend ${input.profile} to ${until}; ${input.approverGroup}: \`tourniquet access approve ${input.requestId} --plan ${plan.hash.slice(0, 12)}…\``);
      return view();
    },
    {
      validator: (req) => {
        const grant = guard.checkOrDefer(req.proof, extension(req.extendBy));
        if (!req.reason?.trim()) throw new Error('a reason is required');
        if (!grant) return;
        const why = extendRefusal(grant.by, req.extendBy);
        if (why) throw notAuthorised(why);
      },
    },
  );

  function notices(text: string): void {
    void ask.announceAccess({ ...(input.incidentId ? { incidentId: input.incidentId } : {}), text }).catch(() => undefined);
  }

  const outcome = () => {
    const approvals = asApprovals();
    if (approvals.some((a) => a.decision === 'deny')) return 'denied';
    return new Set(approvals.filter((a) => a.decision === 'approve').map((a) => a.by)).size >= input.approvers ? 'approved' : 'pending';
  };

  async function quiet(): Promise<void> {
    await condition(() => audits.quiet());
  }

  // ---- the request: proven, within the profile, for an open incident ---------------------------

  await keys;
  const proven = guard.check.bind(guard);
  let requester: VerifiedActor | undefined;
  let refusal: string | undefined;
  try {
    proven(input.proof, { action: 'access.request', subject: { planHash: requestPlan.hash } });
    requester = guard.accept({ proof: input.proof });
    if (requester.by !== input.requester) refusal = `the request names ${input.requester} but was made by ${requester.by}`;
  } catch (err) {
    refusal = (err as Error).message;
  }
  if (!refusal) {
    const check = await ask.accessHolderCheck({ person: input.requester, ...(input.holderGroup ? { holderGroup: input.holderGroup } : {}), ...(input.incidentId ? { incidentId: input.incidentId } : {}) });
    refusal =
      rejectAccessRequest({
        profileName: input.profile,
        profile: { target: { type: 'iamGroup', group: '' }, maxDuration: input.maxDuration, approverGroup: input.approverGroup, approvers: input.approvers, needsOpenIncident: input.incidentId !== undefined },
        duration: input.duration,
        reason: input.reason,
        ...(input.incidentId ? { incident: { id: input.incidentId, open: check.incidentOpen } } : {}),
      }) ?? (check.holder ? undefined : `${input.requester} may not hold ${input.profile}`);
  }
  if (refusal) {
    pending = undefined;
    move('refused');
    record('access.refused', `request refused: ${refusal}`, requester?.by ?? 'unverified', requester?.via ?? 'worker');
    await quiet();
    return view();
  }
  record('access.requested', `${input.requester} asks for ${input.profile} for ${input.duration}: ${requestPlan.lines.join('; ')}`, input.requester, requester!.via, { planHash: requestPlan.hash });
  notices(
    `break-glass \`${workflowId}\`: ${input.requester} asks for *${input.profile}* for ${input.duration} — ${requestPlan.lines.join('; ')}. ` +
      `${input.approvers} of ${input.approverGroup} (not the requester): \`tourniquet access approve ${input.requestId} --plan ${requestPlan.hash}\``,
  );

  // ---- approval ----------------------------------------------------------------------------------

  const decided = await condition(() => outcome() !== 'pending' || endRequest !== undefined, parseDurationMs(input.approvalTimeout)!);
  if (!decided || outcome() !== 'approved') {
    const why = !decided ? 'unanswered' : outcome() === 'denied' ? 'denied' : 'ended';
    move(why === 'unanswered' ? 'unanswered' : why === 'denied' ? 'denied' : 'ended');
    if (endRequest) end = endRequest;
    pending = undefined;
    endedAt = Date.now();
    record(`access.${status}`, why === 'unanswered' ? `no decision within ${input.approvalTimeout}: nothing granted` : `nothing granted (${status})`, 'worker');
    await quiet();
    return view();
  }
  approvedBy = asApprovals().map((a) => a.by);
  pending = undefined;
  move('approved');

  // ---- grant -------------------------------------------------------------------------------------

  const authority = (why: string): WriteAuthority => ({ approvedBy, requestedBy: input.requester, reason: `break-glass ${input.profile}: ${why}` });
  try {
    const granted = onTheLedger(granting, authority(input.reason));
    await granted.acts.grantAccess({ grant: input.grant });
    ledger.push(...granted.written);
  } catch (err) {
    // A partial grant cannot be ruled out: revoke (idempotent) before saying it ended.
    record('access.grant-failed', `the grant failed: ${failureText(err)}; revoking whatever was written`, 'worker');
    endRequest = { why: 'revoked', by: 'worker', reason: `grant failed: ${failureText(err)}` };
  }
  if (!endRequest) {
    grantedAt = Date.now();
    expiresAt = grantedAt + parseDurationMs(input.duration)!;
    move('granted');
    record('access.granted', `${describeGrant(input.grant)}, approved by ${approvedBy.join(' and ')}`, 'worker', 'worker', { approvedBy, ledger: [...ledger] });
    record('access.window.opened', `window opened until ${iso(expiresAt)}`, 'worker', 'worker', { from: iso(grantedAt), until: iso(expiresAt) });
    notices(`break-glass \`${workflowId}\`: ${input.profile} granted to ${input.requester} until ${iso(expiresAt)}.`);
  }

  // ---- the window ------------------------------------------------------------------------------

  const checkEveryMs = parseDurationMs(input.checkEvery)!;
  while (!endRequest) {
    const left = expiresAt! - Date.now();
    if (left <= 0) {
      endRequest = { why: 'expired', by: 'worker', reason: `the ${input.duration} window ended` };
      break;
    }
    const woke = await condition(() => endRequest !== undefined || (pending !== undefined && outcome() !== 'pending'), Math.min(left, checkEveryMs));
    // Set by the handlers meanwhile (the compiler cannot see that).
    const asked = pending as AccessGrantView['pending'];
    if (asked && outcome() !== 'pending') {
      if (outcome() === 'approved') {
        extensionApproved = Date.parse(asked.until!);
        record('access.extended', `window extended to ${asked.until} by ${asApprovals().map((a) => a.by).join(' and ')}`, 'worker', 'worker', { from: iso(expiresAt!), until: asked.until });
        expiresAt = extensionApproved;
      }
      pending = undefined;
      continue;
    }
    if (woke || Date.now() >= expiresAt!) continue;
    try {
      const check = await ask.accessHolderCheck({ person: input.requester, ...(input.holderGroup ? { holderGroup: input.holderGroup } : {}), ...(input.incidentId ? { incidentId: input.incidentId } : {}) });
      if (input.incidentId && !check.incidentOpen) endRequest ??= { why: 'incident-resolved', by: 'worker', reason: `${input.incidentId} is no longer open` };
      if (!check.holder) endRequest ??= { why: 'holder-removed', by: 'worker', reason: `${input.requester} is no longer configured to hold ${input.profile}` };
    } catch {
      // Unknown this time: the window still ends on time, and the next check asks again.
    }
  }

  // ---- revocation: idempotent, until it lands --------------------------------------------------

  move('ended');
  pending = undefined;
  end = endRequest;
  const persistent = persistentActivities();
  for (let attempt = 1; ; attempt++) {
    try {
      const revoked = onTheLedger(persistent, authority(`revoked (${end.why}): ${end.reason}`));
      const result = await revoked.acts.revokeAccess({ grant: input.grant });
      ledger.push(...revoked.written);
      endedAt = Date.now();
      move('revoked');
      record('access.revoked', `${describeGrant(input.grant)} undone (${end.why}${result.changed ? '' : '; it was already gone'})`, end.by, 'worker', { end: end.why, ledger: revoked.written, changed: result.changed });
      if (grantedAt !== undefined) record('access.window.closed', `window closed (${end.why})`, 'worker', 'worker', { from: iso(grantedAt), until: iso(endedAt), planned: iso(expiresAt!) });
      break;
    } catch (err) {
      // Only a final error (AccessDenied, say) reaches here: people must know, and it is tried again.
      record('access.revoke-failed', `revocation failed (attempt ${attempt}): ${failureText(err)}; trying again in ${input.checkEvery}`, 'worker');
      await ask.escalateAccess({ ...(input.incidentId ? { incidentId: input.incidentId } : {}), group: input.approverGroup, message: `break-glass ${workflowId}: revoking ${input.profile} from ${input.requester} FAILED (${failureText(err)}); retrying` }).catch(() => undefined);
      await condition(() => false, checkEveryMs);
    }
  }
  notices(`break-glass \`${workflowId}\`: ${input.profile} revoked from ${input.requester} (${end.why}).`);
  await quiet();
  return view();
}

