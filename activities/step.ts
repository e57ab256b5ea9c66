export type { Undo };

/** What every step (activity or playbook workflow) receives. */
export interface StepInput {
  incidentId: string;
  stepId: string;
  params: Record<string, unknown>;
  /** the plan the approvers saw, if the step was approved */
  planHash?: string;
  /** who approved it: on the ledger with each AWS write the step makes */
  approvedBy?: string[];
}

import type { Undo } from '../domain/incident';

export interface StepOutcome {
  /** short and PHI-free: goes to the timeline and Slack */
  summary: string;
  undo?: Undo;
  /** ledger ids of the AWS writes the step made (see activities/aws/ledger.ts) */
  writes?: string[];
}
