import { DURATION_HINT, DURATION_PATTERN } from '../../domain/duration';
import { Hono } from 'hono';
import { z } from 'zod';
import { noSubject, undoSubject } from '../../domain/decision-subjects';
import {
  approveKeyDeletionUpdate,
  blockExpiryWorkflowId,
  blockStatusQuery,
  cancelKeyDeletionSignal,
  cancelKmsKeyDeletionUpdate,
  extendBlockUpdate,
  keyDeletionStatusQuery,
  keyDeletionWorkflowId,
  keyRetirementStatusQuery,
  keyRetirementWorkflowId,
  liftBlockSignal,
  UNDO_CONTAINMENT_WORKFLOW,
  undoWorkflowId,
} from '../../workflows/playbooks/definitions';
import type { UndoRequest } from '../../workflows/playbooks/undo';
import type { KnownUndo } from '../../workflows/playbooks/undo-kinds';
import { HttpError } from '../errors';
import { body, incidentIdParam, stepParam, type ApiEnv, type OperatorApiDeps } from './context';

const Reason = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(2_000) });
const Extension = Reason.extend({ extendBy: z.string().regex(DURATION_PATTERN, DURATION_HINT) });
const DeletionApproval = z.object({ justification: z.string().trim().min(1, 'a justification is required').max(2_000), offer: z.number().int().min(1) });

/**
 * The timers containment leaves running: POST /blocks/:id/:step/extend | lift and
 * /key-deletions/:id/:step/cancel (keep the keys); /key-retirements/:id/:step/approve | cancel (a
 * retired KMS key's deletion: two approvals of the offer reviewed, or its cancellation). A signal
 * cannot answer: the timer's status is read back and returned.
 */
export function timerRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const { decider, client } = deps;
  const ids = (c: { req: { param(name: string): string } }) => ({ incidentId: incidentIdParam(c.req.param('id')), stepId: stepParam(c.req.param('step')) });

  app.post('/blocks/:id/:step/extend', async (c) => {
    const { incidentId, stepId } = ids(c);
    const { extendBy, reason } = await body(c, Extension);
    const workflowId = blockExpiryWorkflowId(incidentId, stepId);
    const status = await decider.decide(c.get('operator'), { action: 'block.extend', workflowId, subject: { extendBy } }, (proof) =>
      client.workflow.getHandle(workflowId).executeUpdate(extendBlockUpdate, { args: [{ proof, extendBy, reason }] }),
    );
    return c.json(status);
  });

  app.post('/blocks/:id/:step/lift', async (c) => {
    const { incidentId, stepId } = ids(c);
    const { reason } = await body(c, Reason);
    const workflowId = blockExpiryWorkflowId(incidentId, stepId);
    await decider.decide(c.get('operator'), { action: 'block.lift', workflowId, subject: noSubject() }, (proof) =>
      client.workflow.getHandle(workflowId).signal(liftBlockSignal, { proof, reason }),
    );
    return c.json(await client.workflow.getHandle(workflowId).query(blockStatusQuery), 202);
  });

  app.post('/key-deletions/:id/:step/cancel', async (c) => {
    const { incidentId, stepId } = ids(c);
    const { reason } = await body(c, Reason);
    const workflowId = keyDeletionWorkflowId(incidentId, stepId);
    await decider.decide(c.get('operator'), { action: 'key-deletion.cancel', workflowId, subject: noSubject() }, (proof) =>
      client.workflow.getHandle(workflowId).signal(cancelKeyDeletionSignal, { proof, reason }),
    );
    return c.json(await client.workflow.getHandle(workflowId).query(keyDeletionStatusQuery), 202);
  });

  app.post('/key-retirements/:id/:step/approve', async (c) => {
    const { incidentId, stepId } = ids(c);
    const { justification, offer } = await body(c, DeletionApproval);
    const workflowId = keyRetirementWorkflowId(incidentId, stepId);
    const view = await decider.decide(c.get('operator'), { action: 'kms.deletion.approve', workflowId, subject: { offer: String(offer) } }, (proof) =>
      client.workflow.getHandle(workflowId).executeUpdate(approveKeyDeletionUpdate, { args: [{ proof, justification, offer }] }),
    );
    return c.json(view);
  });

  app.post('/key-retirements/:id/:step/cancel', async (c) => {
    const { incidentId, stepId } = ids(c);
    const { reason } = await body(c, Reason);
    const workflowId = keyRetirementWorkflowId(incidentId, stepId);
    const handle = client.workflow.getHandle(workflowId);
    const running = (await handle.describe().catch(() => undefined))?.status.name === 'RUNNING';
    if (running) {
      const view = await decider.decide(c.get('operator'), { action: 'kms.deletion.cancel', workflowId, subject: noSubject() }, (proof) =>
        handle.executeUpdate(cancelKmsKeyDeletionUpdate, { args: [{ proof, reason }] }),
      );
      return c.json({ summary: `deletion of KMS key ${view.keyId} cancelled; the key is enabled (decrypt only) and watched again`, view });
    }
    // The retirement has ended (or was terminated): cancel directly, on the record, as an undo of the step.
    const { keyId } = await handle.query(keyRetirementStatusQuery).catch(() => {
      throw new HttpError(404, `no key retirement ${workflowId}`, 'not_found');
    });
    const undo = { type: 'cancelKmsKeyDeletion', params: { keyId, keyRetirementWorkflowId: workflowId }, description: `cancel the deletion of ${keyId}` } satisfies KnownUndo;
    const summary = await decider.decide(c.get('operator'), { action: 'undo', workflowId: incidentId, subject: undoSubject(stepId, undo) }, async (proof) => {
      const request: UndoRequest = { undo, proof, reason, incidentId, stepId };
      return client.workflow.execute<(req: UndoRequest) => Promise<string>>(UNDO_CONTAINMENT_WORKFLOW, {
        taskQueue: deps.taskQueue,
        workflowId: undoWorkflowId(incidentId, `${stepId}/cancel-key-deletion`),
        args: [request],
      });
    });
    return c.json({ summary });
  });
  return app;
}
