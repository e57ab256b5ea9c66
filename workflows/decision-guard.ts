/**
 * Every human decision a workflow takes is checked here: the proof (a grant the ingress signed for
 * exactly this decision, domain/decision-proof.ts) must verify with the keys the worker was
 * configured with, and must not have been used before. The actor recorded is the grant's verified
 * person, and their groups are the grant's, taken when they decided. Raw Temporal access (or the
 * codec key) therefore decides nothing.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { rejectProof, UsedGrants, type DecisionGrant, type DecisionKeys, type DecisionProof } from '../domain/decision-proof';
import type { Action } from '../domain/authority';
import type { Subject } from '../domain/decision-subjects';

/** The failure type of a refusal for want of authority (the ingress answers 403 for it). */
export const NOT_AUTHORISED = 'NotAuthorised';

/** A human request: its proof. Histories from before decision proofs named the actor instead. */
export interface Proven {
  proof?: DecisionProof;
  /** only in requests recorded before decision proofs (replayed, never accepted anew) */
  by?: string;
}

export interface VerifiedActor {
  by: string;
  /** where the decision came from (`slack:<team>/<user>`, `api:<address>`), for the audit record */
  via: string;
  groups: string[];
}

export interface Expected {
  action: Action;
  subject: Subject;
  /** default: this workflow */
  workflowId?: string;
  maxAgeMs?: number;
}

export function notAuthorised(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, NOT_AUTHORISED);
}

export class DecisionGuard {
  /** from an activity (worker configuration), never from workflow input */
  keys: DecisionKeys | undefined;
  private readonly used: UsedGrants;
  /** the keys being read by an activity while the handlers are already registered */
  private loading: Promise<void> | undefined;

  constructor(carried: [string, number][] = []) {
    this.used = new UsedGrants(carried);
  }

  /** Why the proof does not authorise any of these decisions, or the grant when it does one. */
  private verify(proof: DecisionProof | undefined, options: Expected[]): DecisionGrant | string {
    if (!this.keys) return 'this workflow has not learned the decision keys yet; try again in a moment';
    let why = 'no decision expected';
    for (const option of options) {
      const rejected = rejectProof(proof, this.keys, {
        action: option.action,
        workflowId: option.workflowId ?? workflowInfo().workflowId,
        subject: option.subject,
        now: new Date(),
        maxAgeMs: option.maxAgeMs,
      });
      if (rejected === undefined) {
        if (this.used.has(proof!.grant)) return 'this decision was already used once: a replayed command is refused';
        return proof!.grant;
      }
      why = rejected;
    }
    return why;
  }

  /** In an update's validator: the grant, or a refusal thrown before anything is recorded. */
  check(proof: DecisionProof | undefined, ...options: Expected[]): DecisionGrant {
    const found = this.verify(proof, options);
    if (typeof found === 'string') throw notAuthorised(found);
    return found;
  }

  /**
   * In the update's handler (after its validator accepted): the grant is spent, and its actor is
   * the one recorded. A request without a proof reaches a handler only when a history from before
   * decision proofs replays; its validator ran then, on the rules of then.
   */
  accept(req: Proven): VerifiedActor {
    const grant = req.proof?.grant;
    if (!grant) return { by: req.by ?? 'unknown', via: 'worker', groups: [] };
    if (!this.used.use(grant, new Date())) throw notAuthorised('this decision was already used once: a replayed command is refused');
    return { by: grant.by, via: grant.via, groups: grant.groups };
  }

  /** A signal cannot be refused: the verified actor, or why it is ignored (the caller records that). */
  acceptSignal(proof: DecisionProof | undefined, ...options: Expected[]): VerifiedActor | string {
    const found = this.verify(proof, options);
    if (typeof found === 'string') return found;
    this.used.use(found, new Date());
    return { by: found.by, via: found.via, groups: found.groups };
  }

  /** Handlers registered before the keys arrive (a workflow that must answer at once) check when they do. */
  load(keys: Promise<DecisionKeys>): void {
    this.loading = keys.then((k) => void (this.keys = k));
  }

  /** In a validator: the grant; or nothing yet while the keys are being read (the handler checks then). */
  checkOrDefer(proof: DecisionProof | undefined, ...options: Expected[]): DecisionGrant | undefined {
    if (!this.keys && this.loading) return undefined;
    return this.check(proof, ...options);
  }

  /**
   * In the handler of a validator that may have deferred: accepted at once when the keys were there
   * (no await, so no other update runs between its validator and this handler), else checked once
   * they arrive; a refusal then fails the update before anything changed.
   */
  acceptChecked(req: Proven, ...options: Expected[]): VerifiedActor | Promise<VerifiedActor> {
    if (this.keys || !this.loading) return this.accept(req);
    return this.loading.then(() => {
      this.check(req.proof, ...options);
      return this.accept(req);
    });
  }

  /**
   * A decision that arrived with the workflow's input (not through a validated update): checked in
   * full once the keys are here, then spent. A refusal is thrown (it fails what it was to start).
   */
  async acceptInput(req: Proven, ...options: Expected[]): Promise<VerifiedActor> {
    if (this.loading) await this.loading;
    this.check(req.proof, ...options);
    return this.accept(req);
  }

  carry(): [string, number][] {
    return this.used.carry();
  }
}

/** Group membership as domain/approval.ts reads it, from the grant's groups alone. */
export function groupsOf(actor: Pick<VerifiedActor, 'by' | 'groups'>): Record<string, string[]> {
  return Object.fromEntries(actor.groups.map((group) => [group, [actor.by]]));
}
