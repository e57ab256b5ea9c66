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
  /** write requests sent so far in this attempt */
  sent: number;
}

const scope = new AsyncLocalStorage<WriteScope>();

/** Record a write that just succeeded; a no-op outside the worker's AWS activities (unit tests). */
export async function recordWrite(write: AwsWrite): Promise<void> {
  const current = scope.getStore();
  if (!current) return;
  if (current.exercise) throw exerciseRefusal(write.api);
  // The resource names a principal (which may be an e-mail address): in the id only as a digest,
  // since ids are kept as they are while the record's fields are masked.
  const id = await appendLedgerRecord(current, 'aws.write', (workflowId, activityId) => `aws/${workflowId}/${activityId}/${write.api}/${digest(write.resource)}`, write);
  current.written.push(id);
}

/**
 * Before a write request leaves the process, its record of having been sent: when AWS applies a
 * write and its answer is lost (the worker dies, the connection drops), the retry finds the work
 * done and writes nothing, so this record is the only trace on the ledger that the write was ours,
 * with who authorised it. Its outcome, when the answer arrives, is the `aws.write` record.
 */
async function recordSent(current: WriteScope, api: string, target: Record<string, unknown>): Promise<void> {
  const n = ++current.sent;
  await appendLedgerRecord(current, 'aws.write.sent', (workflowId, activityId, attempt) => `aws-sent/${workflowId}/${activityId}/${attempt}/${n}`, { api, target });
}

async function appendLedgerRecord(
  current: WriteScope,
  what: 'aws.write' | 'aws.write.sent',
  idOf: (workflowId: string, activityId: string, attempt: number) => string,
  details: object,
): Promise<string> {
  const { workflowExecution, activityId, attempt } = Context.current().info;
  const workflowId = workflowExecution?.workflowId ?? 'no-workflow';
  const owner = stepScopeOf(workflowId);
  const id = idOf(workflowId, activityId, attempt);
  const authority = current.authority ?? { approvedBy: [], reason: 'unstated' };
  await current.audit.append({
    id,
    who: authority.requestedBy ?? 'worker',
    what,
    when: new Date().toISOString(),
    where: `worker:${hostname()}/${process.pid}`,
    why: { ...(owner ? { incident: owner.incidentId, step: owner.stepId } : {}), reason: authority.reason },
    correlationId: owner?.incidentId ?? workflowId,
    details: { ...details, approvedBy: authority.approvedBy, workflowId, attempt },
  });
  return id;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);

/** The input fields that name what a write acts on (never a value it writes: no policy, no secret). */
const TARGET_FIELDS = ['UserName', 'AccessKeyId', 'RoleName', 'PolicyName', 'KeyId', 'Bucket', 'Name', 'Id', 'Scope', 'GroupId', 'DBInstanceIdentifier', 'DBClusterIdentifier', 'SecretId', 'UserPoolId', 'Username', 'InstanceArn', 'PermissionSetArn', 'PrincipalId'];

function targetOf(input: unknown): Record<string, unknown> {
  const fields = (input ?? {}) as Record<string, unknown>;
  return Object.fromEntries(TARGET_FIELDS.filter((f) => typeof fields[f] === 'string').map((f) => [f, fields[f]]));
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
      const current: WriteScope = { audit, authority: input?.authority, written: [], exercise, sent: 0 };
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

/** AWS API operations that only read (Cognito's administrative reads are `AdminGet…`, `AdminList…`). Any other operation is a write. */
const READ_OPERATION = /^(Get|List|Describe|Lookup|Check|Simulate|Head|AdminGet|AdminList)/;

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
 * Under every AWS client, for each request that is not a read: from an activity serving an
 * exercise (in a write scope or not) it is refused before it leaves the process; from a write
 * scope it is recorded as sent first (`recordSent`). Once per command, before the SDK's own retries.
 */
export function guardWrites<C extends WithMiddleware>(client: C): C {
  const guard = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string; clientName?: string }) => async (args: unknown) => {
    const operation = (context.commandName ?? '').replace(/Command$/, '');
    if (READ_OPERATION.test(operation)) return next(args);
    const current = scope.getStore();
    if (current?.exercise || activityServesExercise()) throw exerciseRefusal(operation || 'an AWS request');
    if (current) await recordSent(current, `${(context.clientName ?? 'aws').replace(/Client$/, '').toLowerCase()}:${operation}`, targetOf((args as { input?: unknown }).input));
    return next(args);
  };
  client.middlewareStack.add(guard as never, { step: 'initialize', name: 'tourniquetWriteGuard' });
  return client;
}

export { ledgerIdsOf, type WriteAuthority } from '../../domain/ledger';
