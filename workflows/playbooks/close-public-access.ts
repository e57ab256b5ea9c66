/**
 * closePublicAccess: a bucket or security group a posture finding (Access Analyzer, Security Hub,
 * Config) says is open to the world is closed, exactly as planned: S3 Block Public Access turned
 * fully on, the bucket policy's statements open to everyone removed (the policy before is on the
 * ledger as evidence, and kept for the undo), ingress open to 0.0.0.0/0 or ::/0 revoked on a group
 * tagged as a PHI service's. The undo puts each back.
 */
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { onTheLedger, playbookActivities, stepAuthority } from './activity-options';
import type { KnownUndo, UndoParams } from './undo-kinds';

export async function closePublicAccessWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const { acts, written } = onTheLedger(playbookActivities(step), stepAuthority(input));
  const plan = await acts.prepareClosePublicAccess(input);
  const did: string[] = [];
  const undoParams: UndoParams['restorePublicAccess'] = {};
  const undoParts: string[] = [];
  const b = plan.bucket;
  if (b) {
    const bucket = `S3 bucket ${b.name}`;
    undoParams.bucket = b.name;
    // Block Public Access first: it shuts public access at once, whatever the policy still says.
    if (b.blockAfter) {
      await acts.setPublicAccessBlock({ bucket: b.name, config: b.blockAfter });
      did.push(`Block Public Access turned fully on for ${bucket}`);
      undoParams.publicAccessBlock = b.blockBefore;
      undoParts.push('put back its Block Public Access settings');
    }
    if (b.publicStatements.length > 0) {
      // What the plan saw is what this step changed, even when a retried activity finds it done.
      await acts.removeBucketPolicyStatements({ bucket: b.name, statements: b.publicStatements });
      did.push(
        `${b.publicStatements.length} public statement(s) removed from the bucket policy of ${bucket}${b.keptStatements === 0 ? ' (policy deleted: nothing was left)' : ''}`,
      );
      undoParams.policy = b.policyBefore;
      undoParts.push('put back its bucket policy as it was');
    }
  }
  const g = plan.securityGroup;
  if (g && g.toRevoke.length > 0) {
    await acts.revokeOpenIngress({ groupId: g.groupId, rules: g.toRevoke });
    did.push(`${g.toRevoke.length} world-open ingress rule(s) revoked on security group ${g.groupId}`);
    undoParams.groupId = g.groupId;
    undoParams.rules = g.toRevoke;
    undoParts.push(`re-authorise ${g.toRevoke.length} ingress rule(s) on ${g.groupId}`);
  } else if (g && g.openRules.length > 0 && !g.phi) {
    did.push(`security group ${g.groupId} is not tagged ${g.phiTag}: its world-open ingress was left for a person`);
  }
  if (did.length === 0) did.push('nothing was open: no change');
  return {
    summary: did.join('; '),
    writes: written,
    ...(undoParts.length > 0 ? { undo: { type: 'restorePublicAccess', params: undoParams, description: undoParts.join(', ') } satisfies KnownUndo } : {}),
  };
}
