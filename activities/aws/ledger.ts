import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { isExerciseId, stepScopeOf } from '../../domain/ids';
import type { WriteAuthority } from '../../domain/ledger';
import type { AuditSink } from '../audit-sink';

/**
 * One ledger record per AWS write: the API, the resource, what it was before and after, the
 * incident and step it served, and who authorised it. Written by the activity right after AWS
 * accepted the write, with an id stable per activity, API and resource, so a retried activity that
 * repeats a write (or finds it done) never appends it twice. The activity's result lists the ids,
 * so the playbook reports its writes and `audit verify` can check each has its record.
 */


export interface AwsWrite {
  /** `iam:UpdateAccessKey` */
  api: string;
  /** the resource's ARN where AWS gives one, else its id */
  resource: string;
  before: unknown;
  after: unknown;
}

interface WriteScope {
  audit: AuditSink;
  authority?: WriteAuthority;
  written: string[];
  /** the activity serves an exercise (drill): no write may leave the process */
  exercise: boolean;
}

const scope = new AsyncLocalStorage<WriteScope>();

/** Record a write that just succeeded; a no-op outside the worker's AWS activities (unit tests). */
export async function recordWrite(write: AwsWrite): Promise<void> {
  const current = scope.getStore();
  if (!current) return;
  if (current.exercise) throw exerciseRefusal(write.api);
  const { workflowExecution, activityId, attempt } = Context.current().info;
  const workflowId = workflowExecution?.workflowId ?? 'no-workflow';
  const owner = stepScopeOf(workflowId);
  // The resource names a principal (which may be an e-mail address): in the id only as a digest,
  // since ids are kept as they are while the record's fields are masked.
  const id = `aws/${workflowId}/${activityId}/${write.api}/${createHash('sha256').update(write.resource).digest('hex').slice(0, 24)}`;
  const authority = current.authority ?? { approvedBy: [], reason: 'unstated' };
  await current.audit.append({
    id,
    who: authority.requestedBy ?? 'worker',
    what: 'aws.write',
    when: new Date().toISOString(),
    where: `worker:${hostname()}/${process.pid}`,
    why: { ...(owner ? { incident: owner.incidentId, step: owner.stepId } : {}), reason: authority.reason },
    correlationId: owner?.incidentId ?? workflowId,
    details: { ...write, approvedBy: authority.approvedBy, workflowId, attempt },
  });
  current.written.push(id);
}

type ActivityFn = (input: never) => Promise<unknown>;

/**
 * Every AWS activity runs in a write scope holding the ledger and the authority its input carries
 * (`input.authority`); an object result gains `ledger`, the ids of the writes it recorded.
 */
export function withWriteLedger<T extends Record<string, ActivityFn>>(audit: AuditSink, activities: T): T {
  const wrapped: Record<string, ActivityFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = (async (input: { authority?: WriteAuthority } | undefined) => {
      const exercise = activityServesExercise();
      // An exercise may plan from real state; an activity that is not a read is refused before it runs.
      if (exercise && !EXERCISE_READ_ACTIVITY.test(name)) throw exerciseRefusal(name);
      const current: WriteScope = { audit, authority: input?.authority, written: [], exercise };
      const result = await scope.run(current, () => fn(input as never));
      if (current.written.length === 0 || typeof result !== 'object' || result === null || Array.isArray(result)) return result;
      return { ...result, ledger: current.written };
    }) as ActivityFn;
  }
  return wrapped as T;
}

/**
 * Drills never write to AWS, enforced here, below the workflow: the exercise mark is read from the
 * workflow id Temporal gives the activity (domain/ids.ts `isExerciseId`), not from its input.
 */
export const EXERCISE_WRITE_REFUSED = 'ExerciseWriteRefused';

/** Activities an exercise may run: the ones that read AWS state to plan. */
const EXERCISE_READ_ACTIVITY = /^(prepare|plan|describe|list|find|get|lookup|check)/;

/** AWS API operations that only read. Any other operation is a write. */
const READ_OPERATION = /^(Get|List|Describe|Lookup|Check|Simulate)/;

function exerciseRefusal(what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`exercise: ${what} refused; a drill never writes to AWS`, EXERCISE_WRITE_REFUSED);
}

function activityServesExercise(): boolean {
  try {
    return isExerciseId(Context.current().info.workflowExecution?.workflowId ?? '');
  } catch {
    // Outside an activity (unit tests of the AWS helpers): no workflow, so no exercise.
    return false;
  }
}

interface WithMiddleware {
  middlewareStack: { add: (mw: never, options: { step: 'initialize'; name: string }) => void };
}

/**
 * Under every AWS client: a request that is not a read, sent from an activity serving an exercise
 * (in a write scope or not), is refused before it leaves the process.
 */
export function refuseExerciseWrites<C extends WithMiddleware>(client: C): C {
  const guard = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
    const operation = (context.commandName ?? '').replace(/Command$/, '');
    if (!READ_OPERATION.test(operation) && (scope.getStore()?.exercise || activityServesExercise())) throw exerciseRefusal(operation || 'an AWS request');
    return next(args);
  };
  client.middlewareStack.add(guard as never, { step: 'initialize', name: 'tourniquetExerciseGuard' });
  return client;
}

export { ledgerIdsOf, type WriteAuthority } from '../../domain/ledger';
