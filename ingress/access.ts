/**
 * Break-glass requests and decisions, for the operator API and Slack alike: the request is checked
 * against its profile (duration, open incident) before anything starts, the requester's grant
 * binds the exact plan, and each decision is signed for exactly its plan. The grant workflow
 * checks all of it again; this answers early and clearly.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { accessPlan, rejectAccessRequest, resolveGrant } from '../domain/access';
import { noSubject } from '../domain/decision-subjects';
import { accessGrantId, accessGrantIdFromUser, incidentIdFromUser } from '../domain/ids';
import { isTerminal } from '../domain/incident';
import type { AccessSettings } from '../platform/access-config';
import { stateQuery } from '../workflows/definitions';
import {
  ACCESS_GRANT_WORKFLOW,
  accessStatusQuery,
  decideAccessUpdate,
  extendAccessUpdate,
  revokeAccessUpdate,
  type AccessGrantView,
  type AccessRequestInput,
} from '../workflows/access/definitions';
import type { Decider } from './decisions';
import { HttpError } from './errors';
import type { Operator } from './identity/operator';

export interface AccessDeps {
  client: Client;
  taskQueue: string;
  decider: Decider;
  access: AccessSettings;
}

export interface AccessAsk {
  profile: string;
  duration: string;
  reason: string;
  incident?: string;
  /** a stable id (Slack's trigger) makes a repeated request the same request */
  requestKey?: string;
}

async function incidentOpen(client: Client, incidentId: string): Promise<boolean> {
  const handle = client.workflow.getHandle(incidentId);
  try {
    if ((await handle.describe()).status.name !== 'RUNNING') return false;
    return !isTerminal((await handle.query(stateQuery)).status);
  } catch {
    return false;
  }
}

/** Ask for a profile: 400 for a request its profile refuses, 403 without authority; nothing is started then. */
export async function requestAccess(deps: AccessDeps, op: Operator, ask: AccessAsk): Promise<AccessGrantView> {
  const profile = deps.access.profiles[ask.profile];
  const incidentId = ask.incident ? incidentIdFromUser(ask.incident) : undefined;
  const refused = rejectAccessRequest({
    profileName: ask.profile,
    profile,
    duration: ask.duration,
    reason: ask.reason,
    ...(incidentId ? { incident: { id: incidentId, open: await incidentOpen(deps.client, incidentId) } } : {}),
  });
  if (refused) throw new HttpError(400, refused, 'refused');
  const grant = resolveGrant(ask.profile, profile!.target, op.person, deps.access.principals[op.person]);
  if (typeof grant === 'string') throw new HttpError(400, grant, 'refused');
  const suffix = ask.requestKey ? ask.requestKey.replace(/[^\w-]/g, '').slice(0, 24) : randomBytes(6).toString('hex');
  const requestId = `${ask.profile}-${suffix}`;
  const workflowId = accessGrantId(requestId);
  const plan = accessPlan({ requestId, grant, person: op.person, duration: ask.duration, ...(incidentId ? { incidentId } : {}) });
  await deps.decider.decide(op, { action: 'access.request', workflowId, subject: { planHash: plan.hash } }, async (proof) => {
    const input: AccessRequestInput = {
      requestId,
      profile: ask.profile,
      grant,
      requester: op.person,
      duration: ask.duration,
      maxDuration: profile!.maxDuration,
      reason: ask.reason,
      ...(incidentId ? { incidentId } : {}),
      approverGroup: profile!.approverGroup,
      approvers: profile!.approvers,
      ...(profile!.holderGroup ? { holderGroup: profile!.holderGroup } : {}),
      checkEvery: deps.access.checkEvery,
      approvalTimeout: deps.access.approvalTimeout,
      proof,
    };
    await deps.client.workflow.start(ACCESS_GRANT_WORKFLOW, { taskQueue: deps.taskQueue, workflowId, args: [input] });
  });
  return accessView(deps.client, workflowId);
}

export async function accessView(client: Client, id: string): Promise<AccessGrantView> {
  try {
    return await client.workflow.getHandle(accessGrantIdFromUser(id)).query(accessStatusQuery);
  } catch {
    throw new HttpError(404, `no break-glass request ${id}`, 'not_found');
  }
}

/** Approve or deny the plan the approver reviewed (its hash, or a prefix of at least 12 characters of it). */
export async function decideAccess(deps: AccessDeps, op: Operator, id: string, decision: 'approve' | 'deny', planHash: string | undefined, justification: string): Promise<AccessGrantView> {
  const workflowId = accessGrantIdFromUser(id);
  const current = await accessView(deps.client, workflowId);
  const pending = current.pending?.planHash;
  // The approver names the plan they saw; with none named (a denial), the current one.
  const hash = planHash && pending?.startsWith(planHash) && planHash.length >= 12 ? pending : planHash ?? pending ?? '';
  return deps.decider.decide(op, { action: 'access.approve', workflowId, subject: { planHash: hash, decision } }, (proof) =>
    deps.client.workflow.getHandle(workflowId).executeUpdate(decideAccessUpdate, { args: [{ proof, decision, planHash: hash, justification }] }),
  );
}

export async function revokeAccess(deps: AccessDeps, op: Operator, id: string, reason: string): Promise<AccessGrantView> {
  const workflowId = accessGrantIdFromUser(id);
  return deps.decider.decide(op, { action: 'access.revoke', workflowId, subject: noSubject() }, (proof) =>
    deps.client.workflow.getHandle(workflowId).executeUpdate(revokeAccessUpdate, { args: [{ proof, reason }] }),
  );
}

export async function extendAccess(deps: AccessDeps, op: Operator, id: string, extendBy: string, reason: string): Promise<AccessGrantView> {
  const workflowId = accessGrantIdFromUser(id);
  return deps.decider.decide(op, { action: 'access.request', workflowId, subject: { extendBy } }, (proof) =>
    deps.client.workflow.getHandle(workflowId).executeUpdate(extendAccessUpdate, { args: [{ proof, extendBy, reason }] }),
  );
}
