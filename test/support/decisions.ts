/**
 * Grants for tests that drive workflows directly: the test plays the ingress's part (it has
 * verified the person and checked the authority table) and signs with a test key the test worker
 * is configured with. Tests of the ingress itself go through the real operator API or Slack.
 */
import { randomBytes } from 'node:crypto';
import type { Action } from '../../domain/authority';
import { decisionPublicKey, signDecision, type DecisionProof } from '../../domain/decision-proof';
import { undoSubject, type Subject } from '../../domain/decision-subjects';
import type { Undo } from '../../domain/incident';
import type { UndoRequest } from '../../workflows/playbooks/undo';
import type { SigningKey } from '../../platform/decision-keys';

export const TEST_SIGNING_KEY: SigningKey = { kid: 'test-key', secretKey: 'a1'.repeat(32) };
export const TEST_DECISION_KEYS = { [TEST_SIGNING_KEY.kid]: decisionPublicKey(TEST_SIGNING_KEY.secretKey) };

export interface GrantOptions {
  subject?: Subject;
  /** default: the groups the table gives the person */
  groups?: string[];
  /** workflow time of the decision (time-skipping tests move it far from the wall clock) */
  at?: Date;
  nonce?: string;
  via?: string;
  key?: SigningKey;
}

/** A signer of grants for people in these groups (group → members). */
export function testGrants(groups: Record<string, string[]> = {}) {
  return function prove(by: string, action: Action, workflowId: string, options: GrantOptions = {}): DecisionProof {
    const key = options.key ?? TEST_SIGNING_KEY;
    return signDecision(
      {
        v: 1,
        kid: key.kid,
        action,
        workflowId,
        subject: options.subject ?? {},
        by,
        groups: options.groups ?? Object.keys(groups).filter((g) => groups[g]!.includes(by)),
        via: options.via ?? 'test:jest',
        issuedAt: (options.at ?? new Date()).toISOString(),
        nonce: options.nonce ?? randomBytes(8).toString('hex'),
      },
      key.secretKey,
    );
  };
}

/** For decisions whose group does not matter to the test (resolve, acknowledge, clock records). */
export const prove = testGrants();

/** An undo request as the operator API builds it: the grant binds exactly this compensation of this step. */
export function undoRequest(by: string, incidentId: string, stepId: string, undo: Undo, reason: string, options: GrantOptions = {}): UndoRequest {
  return { undo, proof: prove(by, 'undo', incidentId, { ...options, subject: undoSubject(stepId, undo) }), reason, incidentId, stepId };
}
