import { Hono } from 'hono';
import { z } from 'zod';
import { noSubject } from '../../domain/decision-subjects';
import { followUpOf, reviewIdFromUser } from '../../domain/ids';
import { closeFollowUpUpdate, reassignFollowUpUpdate, rescheduleFollowUpUpdate } from '../../workflows/follow-up-definitions';
import { addFindingUpdate, editReviewUpdate, finaliseReviewUpdate } from '../../workflows/review-definitions';
import { HttpError } from '../errors';
import { body, type ApiEnv, type OperatorApiDeps } from './context';

const long = z.string().max(20_000);
const Edit = z.object({ rootCause: long.optional(), helped: long.optional(), hurt: long.optional() }).strict();
const Finding = z.object({ text: z.string().max(2_000), owner: z.string().max(200), dueAt: z.string().max(40) }).strict();
const Finalise = z.object({}).strict();
const Close = z.object({ evidence: z.string().max(2_000), note: z.string().max(4_000) }).strict();
const Reassign = z.object({ owner: z.string().max(200), reason: z.string().max(2_000) }).strict();
const Reschedule = z.object({ dueAt: z.string().max(40), reason: z.string().max(2_000) }).strict();

/** `review/<fingerprint>` from a review id, an incident id or a bare fingerprint. */
function reviewIdParam(segment: string): string {
  const id = reviewIdFromUser(decodeURIComponent(segment).replace(/^incident\//, ''));
  if (!/^review\/[\w.:-]+$/.test(id)) throw new HttpError(400, 'not a review id', 'bad_request');
  return id;
}

/** A follow-up id, whole (its slashes URL-encoded). */
function followUpIdParam(segment: string): string {
  const id = decodeURIComponent(segment);
  if (!followUpOf(id) || !/^[\w./:-]+$/.test(id)) throw new HttpError(400, 'not a follow-up id (follow-up/<origin>/<key>)', 'bad_request');
  return id;
}

/**
 * POST /reviews/:id/edit | findings | finalise, and POST /follow-ups/:id/close | reassign |
 * reschedule: the post-incident review and its follow-up actions.
 */
export function reviewRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const { decider, client } = deps;
  const handle = (id: string) => client.workflow.getHandle(id);

  app.post('/reviews/:id/edit', async (c) => {
    const workflowId = reviewIdParam(c.req.param('id'));
    const edit = await body(c, Edit);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'review.edit', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(editReviewUpdate, { args: [{ proof, ...edit }] }),
      ),
    );
  });

  app.post('/reviews/:id/findings', async (c) => {
    const workflowId = reviewIdParam(c.req.param('id'));
    const finding = await body(c, Finding);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'review.finding', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(addFindingUpdate, { args: [{ proof, ...finding }] }),
      ),
    );
  });

  app.post('/reviews/:id/finalise', async (c) => {
    const workflowId = reviewIdParam(c.req.param('id'));
    await body(c, Finalise);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'review.finalise', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(finaliseReviewUpdate, { args: [{ proof }] }),
      ),
    );
  });

  app.post('/follow-ups/:id/close', async (c) => {
    const workflowId = followUpIdParam(c.req.param('id'));
    const closure = await body(c, Close);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'follow-up.close', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(closeFollowUpUpdate, { args: [{ proof, ...closure }] }),
      ),
    );
  });

  app.post('/follow-ups/:id/reassign', async (c) => {
    const workflowId = followUpIdParam(c.req.param('id'));
    const change = await body(c, Reassign);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'follow-up.update', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(reassignFollowUpUpdate, { args: [{ proof, ...change }] }),
      ),
    );
  });

  app.post('/follow-ups/:id/reschedule', async (c) => {
    const workflowId = followUpIdParam(c.req.param('id'));
    const change = await body(c, Reschedule);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'follow-up.update', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(rescheduleFollowUpUpdate, { args: [{ proof, ...change }] }),
      ),
    );
  });
  return app;
}
