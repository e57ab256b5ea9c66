import { canonicalJson, sha256Hex } from './canonical-json';

/** What a step will change, read from the current state of the world, before it changes it. */
export interface Plan {
  /** one line per change, for people (approval messages, dry runs); no PHI */
  lines: string[];
  /** machine-readable changes; the hash binds an approval to exactly these */
  changes: unknown;
  hash: string;
}

export interface PlanInput {
  type: string;
  params: Record<string, unknown>;
  incidentId: string;
  stepId: string;
}

export type Planner = (input: PlanInput) => Promise<Omit<Plan, 'hash'>>;

export function sealPlan(input: PlanInput, plan: Omit<Plan, 'hash'>): Plan {
  return { ...plan, hash: sha256Hex(canonicalJson({ type: input.type, params: input.params, changes: plan.changes })) };
}

/** For step types without a planner: the plan is the step and its parameters. */
export const describeParams: Planner = async ({ type, params }) => ({
  lines: [`${type} ${canonicalJson(params)}`],
  changes: params,
});
