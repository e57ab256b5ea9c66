import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { incidentIdFor, manualAlert } from '../../domain/alert';
import { noSubject } from '../../domain/decision-subjects';
import { SEVERITIES } from '../../domain/severity';
import { acknowledgeUpdate, addNoteUpdate, closeNoActionUpdate, resolveUpdate } from '../../workflows/definitions';
import { HttpError } from '../errors';
import { deliverAlert } from '../incidents';
import { assignRole } from '../roles';
import { body, incidentIdParam, type ApiEnv, type OperatorApiDeps } from './context';

const Reason = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(2_000) });
const Note = z.object({ text: z.string().trim().min(1, 'a note needs text').max(4_000) });
const RoleBody = z.object({ role: z.string().trim().min(1), person: z.string().trim().min(1), reason: z.string().trim().max(2_000).optional() }).strict();
const Declaration = z.object({ title: z.string().trim().min(1, 'a title is required').max(300), severity: z.enum(SEVERITIES).default('high') });

/** POST /incidents (declare), /incidents/:id/acknowledge, /notes, /roles, /resolve, /close. */
export function incidentRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const { decider, client } = deps;

  app.post('/incidents', async (c) => {
    const { title, severity } = await body(c, Declaration);
    const op = c.get('operator');
    const fingerprint = `manual-${randomBytes(10).toString('hex')}`;
    const workflowId = incidentIdFor(fingerprint);
    await decider.decide(op, { action: 'declare', workflowId, subject: noSubject() }, async () => {
      const alert = manualAlert({
        title,
        severity,
        labels: { declaredBy: op.person },
        fingerprint,
        deliveryId: `api:${fingerprint}`,
        observedAt: new Date().toISOString(),
      });
      return deliverAlert(client, deps.taskQueue, alert, op.person);
    });
    return c.json({ incidentId: workflowId, requester: op.person }, 201);
  });

  app.post('/incidents/:id/acknowledge', async (c) => {
    const workflowId = incidentIdParam(c.req.param('id'));
    const state = await decider.decide(c.get('operator'), { action: 'acknowledge', workflowId, subject: noSubject() }, (proof) =>
      client.workflow.getHandle(workflowId).executeUpdate(acknowledgeUpdate, { args: [{ proof }] }),
    );
    return c.json({ incident: state.id, status: state.status, acknowledgedBy: state.acknowledgedBy });
  });

  app.post('/incidents/:id/notes', async (c) => {
    const workflowId = incidentIdParam(c.req.param('id'));
    const { text } = await body(c, Note);
    const notes = await decider.decide(c.get('operator'), { action: 'note', workflowId, subject: noSubject() }, (proof) =>
      client.workflow.getHandle(workflowId).executeUpdate(addNoteUpdate, { args: [{ proof, text }] }),
    );
    return c.json({ incident: workflowId, notes });
  });

  // A role goes to a person of the directory: a typo must not hand the incident to nobody.
  app.post('/incidents/:id/roles', async (c) => {
    const workflowId = incidentIdParam(c.req.param('id'));
    const request = await body(c, RoleBody);
    if (!decider.directory.has(request.person)) throw new HttpError(400, `no person "${request.person}" in the directory`);
    const state = await assignRole(deps, c.get('operator'), workflowId, request);
    return c.json({ incident: state.id, roles: state.roles ?? {} });
  });

  for (const [path, action, update] of [
    ['resolve', 'resolve', resolveUpdate],
    ['close', 'close-no-action', closeNoActionUpdate],
  ] as const) {
    app.post(`/incidents/:id/${path}`, async (c) => {
      const workflowId = incidentIdParam(c.req.param('id'));
      const { reason } = await body(c, Reason);
      const state = await decider.decide(c.get('operator'), { action, workflowId, subject: noSubject() }, (proof) =>
        client.workflow.getHandle(workflowId).executeUpdate(update, { args: [{ proof, reason }] }),
      );
      return c.json({ incident: state.id, status: state.status });
    });
  }
  return app;
}
