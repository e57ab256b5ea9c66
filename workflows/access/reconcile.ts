/**
 * accessReconciliationWorkflow, started by the Temporal Schedule `access-reconciliation` every
 * `access.reconcileEvery`: what AWS grants through the break-glass profiles' targets is compared
 * with the open grants. Access no grant accounts for is removed (on the ledger) and escalated to
 * the profile's approvers; an active grant AWS no longer has is escalated; both are recorded.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { accessDifferences, describeGrant, grantKey, type AccessGrant } from '../../domain/access';
import { onTheLedger } from '../playbooks/activity-options';
import type { AccessReconciliation } from './definitions';

const read = proxyActivities<Pick<Activities, 'openAccessGrants' | 'accessProfiles' | 'accessInAws' | 'recordAudit' | 'escalateAccess'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});

const removing = proxyActivities<Pick<Activities, 'revokeAccess'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

export async function accessReconciliationWorkflow(): Promise<AccessReconciliation> {
  const { workflowId } = workflowInfo();
  const at = new Date().toISOString();
  const { profiles } = await read.accessProfiles();
  const entries = Object.entries(profiles);
  const result: AccessReconciliation = { at, removed: [], missing: [], failed: [] };
  if (entries.length === 0) return result;
  // AWS first, then the grants: a grant made in between is then seen as open, never as out of band.
  const { grants: inAws } = await read.accessInAws({ targets: entries.map(([, p]) => p.target) });
  const { grants: open } = await read.openAccessGrants();
  const { outOfBand, missing } = accessDifferences(open, inAws);
  const groupOf = (grant: AccessGrant) =>
    entries.find(([, p]) => p.target.type === grant.type && grantKey({ ...grant, ...p.target } as AccessGrant) === grantKey(grant))?.[1].approverGroup ?? 'security-leads';
  let recorded = 0;
  const audit = (what: string, message: string, details: Record<string, unknown>) =>
    read.recordAudit([{ id: `${workflowInfo().runId}/${++recorded}`, who: 'worker', what, when: new Date().toISOString(), where: 'worker', why: { reason: 'break-glass reconciliation' }, correlationId: workflowId, details: { message, ...details } }]);

  for (const grant of outOfBand) {
    const what = describeGrant(grant);
    try {
      const done = onTheLedger(removing, { approvedBy: [], reason: 'break-glass reconciliation: access without an open grant' });
      await done.acts.revokeAccess({ grant });
      result.removed.push(what);
      await audit('access.reconcile.removed', `out-of-band access removed: ${what}`, { grant, ledger: done.written });
      await read.escalateAccess({ group: groupOf(grant), message: `break-glass reconciliation removed access no grant accounts for: ${what}` });
    } catch (err) {
      result.failed.push(what);
      await audit('access.reconcile.failed', `out-of-band access could NOT be removed: ${what}: ${(err as Error).message}`, { grant });
      await read.escalateAccess({ group: groupOf(grant), message: `break-glass reconciliation could not remove ${what}; remove it by hand` });
    }
  }
  for (const { id, grant } of missing) {
    const what = describeGrant(grant);
    result.missing.push(`${id}: ${what}`);
    await audit('access.reconcile.missing', `${id} is active but AWS no longer has it: ${what}`, { grant, grantWorkflow: id });
    await read.escalateAccess({ group: groupOf(grant), message: `break-glass ${id} is open but AWS no longer grants it (${what}): removed outside Tourniquet?` });
  }
  await audit('access.reconciled', `${inAws.length} in AWS, ${open.length} open; removed ${result.removed.length}, missing ${result.missing.length}, failed ${result.failed.length}`, { ...result });
  return result;
}

