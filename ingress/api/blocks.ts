import { Hono } from 'hono';
import { z } from 'zod';
import { noSubject } from '../../domain/decision-subjects';
import { blockExpiryWorkflowId, blockStatusQuery, cancelKeyDeletionSignal, extendBlockUpdate, keyDeletionStatusQuery, keyDeletionWorkflowId, liftBlockSignal } from '../../workflows/playbooks/definitions';
import { body, incidentIdParam, stepParam, type ApiEnv, type OperatorApiDeps } from './context';

const Reason = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(2_000) });
const Extension = Reason.extend({ extendBy: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 12h') });

/**
 * The timers containment leaves running: POST /blocks/:id/:step/extend | lift and
 * /key-deletions/:id/:step/cancel (keep the keys). A signal cannot answer: the timer's status is
 * read back and returned.
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
  return app;
}
