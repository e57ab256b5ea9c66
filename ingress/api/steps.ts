import { Hono } from 'hono';
import { z } from 'zod';
import { approvalSubject, stepSubject, undoSubject } from '../../domain/decision-subjects';
import { approveUpdate, denyUpdate, retryStepUpdate, skipStepUpdate, stateQuery } from '../../workflows/definitions';
import { UNDO_CONTAINMENT_WORKFLOW, undoWorkflowId } from '../../workflows/playbooks/definitions';
import type { UndoRequest } from '../../workflows/playbooks/undo';
import { workflowRefusal } from '../decisions';
import { HttpError } from '../errors';
import { body, incidentIdParam, stepParam, type ApiEnv, type OperatorApiDeps } from './context';

const Justified = z.object({
  justification: z.string().trim().min(1, 'a justification is required').max(2_000),
  planHash: z.string().regex(/^[0-9a-f]{64}$/, 'the full hash of the plan you reviewed').optional(),
});
const Reason = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(2_000) });

/** POST /incidents/:id/steps/:step/approve | deny | retry | skip | undo. */
export function stepRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const { decider, client } = deps;

  for (const decision of ['approve', 'deny'] as const) {
    app.post(`/incidents/:id/steps/:step/${decision}`, async (c) => {
      const workflowId = incidentIdParam(c.req.param('id'));
      const stepId = stepParam(c.req.param('step'));
      const { justification, planHash } = await body(c, Justified);
      if (decision === 'approve' && !planHash) throw new HttpError(400, 'planHash: an approval names the hash of the plan it approves', 'bad_request');
      const update = decision === 'approve' ? approveUpdate : denyUpdate;
      const state = await decider.decide(c.get('operator'), { action: decision, workflowId, subject: approvalSubject(stepId, planHash) }, (proof) =>
        client.workflow.getHandle(workflowId).executeUpdate(update, { args: [{ proof, stepId, justification, planHash }] }),
      );
      const step = state.steps.find((s) => s.id === stepId);
      return c.json({ incident: state.id, step: stepId, by: c.get('operator').person, status: step?.status, decisions: step?.approvals.length ?? 0 });
    });
  }

  for (const action of ['retry', 'skip'] as const) {
    app.post(`/incidents/:id/steps/:step/${action}`, async (c) => {
      const workflowId = incidentIdParam(c.req.param('id'));
      const stepId = stepParam(c.req.param('step'));
      const { reason } = await body(c, Reason);
      const update = action === 'retry' ? retryStepUpdate : skipStepUpdate;
      const state = await decider.decide(c.get('operator'), { action: `step.${action}`, workflowId, subject: stepSubject(stepId) }, (proof) =>
        client.workflow.getHandle(workflowId).executeUpdate(update, { args: [{ proof, stepId, reason }] }),
      );
      return c.json({ incident: state.id, step: stepId, decision: action });
    });
  }

  // The compensation is read from the incident and bound into the grant: exactly that undo runs.
  app.post('/incidents/:id/steps/:step/undo', async (c) => {
    const incidentId = incidentIdParam(c.req.param('id'));
    const stepId = stepParam(c.req.param('step'));
    const { reason } = await body(c, Reason);
    // Who may undo at all is decided before anything about the incident is read for them.
    await decider.authorise(c.get('operator'), { action: 'undo', workflowId: incidentId, subject: { stepId } });
    let state;
    try {
      state = await client.workflow.getHandle(incidentId).query(stateQuery);
    } catch (err) {
      if (workflowRefusal(err)?.notFound) throw new HttpError(404, `no incident ${incidentId}`, 'not_found');
      throw err;
    }
    const undo = state.steps.find((s) => s.id === stepId)?.undo;
    if (!undo) throw new HttpError(409, `step ${stepId} of ${incidentId} offers no undo`, 'refused');
    const summary = await decider.decide(c.get('operator'), { action: 'undo', workflowId: incidentId, subject: undoSubject(stepId, undo) }, async (proof) => {
      const request: UndoRequest = { undo, proof, reason, incidentId, stepId };
      const handle = await client.workflow
        .start<(req: UndoRequest) => Promise<string>>(UNDO_CONTAINMENT_WORKFLOW, { taskQueue: deps.taskQueue, workflowId: undoWorkflowId(incidentId, stepId), args: [request] })
        .catch((err: Error) => {
          if (err.name === 'WorkflowExecutionAlreadyStartedError') throw new HttpError(409, `an undo of ${stepId} is already running`, 'refused');
          throw err;
        });
      return handle.result();
    });
    return c.json({ incident: incidentId, step: stepId, summary });
  });
  return app;
}
