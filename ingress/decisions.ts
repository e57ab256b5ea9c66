/**
 * Deciding on behalf of a verified person, for the operator API and the Slack listeners alike:
 * check the authority table against the person's groups now, sign a grant for exactly this
 * decision with the ingress's key (domain/decision-proof.ts), send it to the workflow, and turn a
 * refusal (ours or the workflow's validator's) into a clear answer that is also audited.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { singleEventId, type AuditSink } from '../activities/audit-sink';
import { rejectAuthority, type Action } from '../domain/authority';
import { signDecision, type DecisionProof } from '../domain/decision-proof';
import type { Subject } from '../domain/decision-subjects';
import type { SigningKey } from '../platform/decision-keys';
import { NOT_AUTHORISED } from '../workflows/decision-guard';
import { HttpError } from './errors';
import type { Directory } from './identity/directory';
import type { Operator } from './identity/operator';

export interface Decision {
  action: Action;
  workflowId: string;
  subject: Subject;
}

export interface DeciderDeps {
  directory: Directory;
  signingKey: SigningKey;
  audit: AuditSink;
}

/** Not allowed: 403, with the reason. */
export class Forbidden extends HttpError {
  constructor(message: string) {
    super(403, message, 'forbidden');
  }
}

export type Decider = ReturnType<typeof createDecider>;

export function createDecider(deps: DeciderDeps) {
  async function denied(op: Operator, decision: Decision, reason: string): Promise<Forbidden> {
    await deps.audit.append({
      id: singleEventId('ingress'),
      who: op.person,
      what: 'authz.denied',
      when: new Date().toISOString(),
      where: op.via,
      why: { incident: decision.workflowId, ...(decision.subject.stepId ? { step: decision.subject.stepId } : {}), reason },
      correlationId: decision.workflowId,
      details: { action: decision.action, groups: op.groups, method: op.method },
    });
    return new Forbidden(reason);
  }

  function grant(op: Operator, decision: Decision): DecisionProof {
    return signDecision(
      {
        v: 1,
        kid: deps.signingKey.kid,
        action: decision.action,
        workflowId: decision.workflowId,
        subject: decision.subject,
        by: op.person,
        groups: op.groups,
        via: op.via,
        issuedAt: new Date().toISOString(),
        nonce: randomBytes(16).toString('hex'),
      },
      deps.signingKey.secretKey,
    );
  }

  async function authorise(op: Operator, decision: Pick<Decision, 'action' | 'workflowId'> & Partial<Decision>): Promise<void> {
    const why = rejectAuthority(deps.directory.authority, decision.action, op.person, op.groups);
    if (why) throw await denied(op, { subject: {}, ...decision }, why);
  }

  return {
    directory: deps.directory,
    /** The authority check alone (403, audited), for a decision whose subject must be read first. */
    authorise,
    /**
     * The authority check, the grant, and `send` with it. A refusal becomes an HttpError: 403 (not
     * allowed, audited as `authz.denied`), 404 (no such workflow), 409 (the workflow's rules refused).
     */
    async decide<T>(op: Operator, decision: Decision, send: (proof: DecisionProof) => Promise<T>): Promise<T> {
      await authorise(op, decision);
      try {
        return await send(grant(op, decision));
      } catch (err) {
        const refusal = workflowRefusal(err);
        if (!refusal) throw err;
        if (refusal.forbidden) throw await denied(op, decision, refusal.reason);
        throw refusal.notFound ? new HttpError(404, refusal.reason, 'not_found') : new HttpError(409, refusal.reason, 'refused');
      }
    },
  };
}

/** Why a workflow refused (a validator, a failed undo), or undefined when it was no refusal. */
export function workflowRefusal(err: unknown): { reason: string; forbidden: boolean; notFound: boolean } | undefined {
  if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowFailedError) {
    const cause = err.cause;
    const reason = (cause as { message?: string } | undefined)?.message ?? err.message;
    return { reason, forbidden: cause instanceof ApplicationFailure && cause.type === NOT_AUTHORISED, notFound: false };
  }
  if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
    return { reason: 'no such workflow (or it has ended)', forbidden: false, notFound: true };
  }
  return undefined;
}
