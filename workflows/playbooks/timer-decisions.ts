/**
 * The decisions people take on a timer that outlives its playbook (a block's expiry, a key
 * deletion's grace): the keys come from the workers' configuration through an activity, signals
 * that carry no valid proof change nothing and are kept with the timer's status and on the audit
 * log, and an undo's grant for the step that made the timer counts as a decision on it.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { Action } from '../../domain/authority';
import type { DecisionProof } from '../../domain/decision-proof';
import { noSubject } from '../../domain/decision-subjects';
import { DecisionGuard, type Expected, type VerifiedActor } from '../decision-guard';
import { decisionActivities } from './activity-options';
import type { IgnoredSignal } from './definitions';

export function timerDecisions(timerIdFor: (incidentId: string, stepId: string) => string, ignored: IgnoredSignal[]) {
  const guard = new DecisionGuard();
  const acts = decisionActivities();
  // Timers started before decision proofs never learn keys; their recorded signals replay as they ran.
  // Updates arriving before the keys are accepted by their validator and checked by their handler.
  const keys = patched('decision-proofs') ? acts.decisionKeys() : undefined;
  if (keys) guard.load(keys);
  const ready = keys ?? Promise.resolve();

  /** The undo of the step whose playbook started this timer may stop it. */
  function viaUndo(proof: DecisionProof | undefined): Expected[] {
    const grant = proof?.grant;
    const stepId = grant?.subject?.stepId;
    if (!grant || grant.action !== 'undo' || typeof stepId !== 'string') return [];
    return timerIdFor(grant.workflowId, stepId) === workflowInfo().workflowId ? [{ action: 'undo', workflowId: grant.workflowId, subject: grant.subject }] : [];
  }

  // The timer's own audit ids (`<runId>/decision/<n>`): a retried record is appended once.
  let recorded = 0;
  const nextId = () => `${workflowInfo().runId}/decision/${++recorded}`;

  /** A person's decision on the timer, on the audit log with where it came from. */
  const record = (what: string, actor: Pick<VerifiedActor, 'by' | 'via'>, reason: string, details: Record<string, unknown> = {}) =>
    acts.recordAudit([{ id: nextId(), who: actor.by, what, when: new Date().toISOString(), where: actor.via, why: { reason }, correlationId: workflowInfo().workflowId, details }]);

  return {
    guard,
    ready,
    record,
    /**
     * A person's signal: the verified actor, or undefined once an unproven one is recorded.
     * `legacy` is the actor of a signal recorded before decision proofs, replaying.
     */
    async signal(
      name: string,
      proof: DecisionProof | undefined,
      action: Action,
      legacy: string | undefined,
      reason: string,
    ): Promise<Pick<VerifiedActor, 'by' | 'via'> | undefined> {
      if (!patched('decision-proofs')) return { by: legacy ?? 'unknown', via: 'worker' };
      await ready;
      const verified = guard.acceptSignal(proof, { action, subject: noSubject() }, ...viaUndo(proof));
      if (typeof verified !== 'string') {
        await record(`${name}.accepted`, verified, reason, { action: proof!.grant.action });
        return verified;
      }
      const at = new Date().toISOString();
      ignored.push({ at, signal: name, reason: verified });
      await acts.recordAudit([
        { id: nextId(), who: 'unverified', what: 'decision.refused', when: at, where: 'worker', why: { reason: verified }, correlationId: workflowInfo().workflowId, details: { signal: name } },
      ]);
      return undefined;
    },
  };
}
