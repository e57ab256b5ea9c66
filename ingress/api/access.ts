import { Hono } from 'hono';
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN } from '../../domain/duration';
import { accessView, decideAccess, extendAccess, requestAccess, revokeAccess, type AccessDeps } from '../access';
import { listOpenGrants } from '../read-model';
import { HttpError } from '../errors';
import { body, type ApiEnv, type OperatorApiDeps } from './context';

const text = (what: string) => z.string().trim().min(1, `${what} is required`).max(2_000);
const Request = z.object({
  profile: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a profile name'),
  duration: z.string().regex(DURATION_PATTERN, DURATION_HINT),
  reason: text('a reason'),
  incident: z.string().regex(/^[\w.:/-]+$/).optional(),
});
const Decision = z.object({ planHash: z.string().regex(/^[0-9a-f]{12,64}$/, 'the plan hash shown with the request').optional(), justification: text('a justification') });
const Reason = z.object({ reason: text('a reason') });
const Extension = Reason.extend({ extendBy: z.string().regex(DURATION_PATTERN, DURATION_HINT) });

const REQUEST_ID = /^[a-z0-9][\w-]*$/;

/**
 * Break-glass access: POST /access (ask), GET /access (open grants with time left), GET
 * /access/:id, POST /access/:id/approve | deny | revoke | extend. Every decision is signed for its
 * grant's workflow; the workflow checks the approver group, the plan, and requester ≠ approver.
 */
export function accessRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const access = (): AccessDeps => {
    if (!deps.access || Object.keys(deps.access.profiles).length === 0) throw new HttpError(404, 'no break-glass profiles are configured (access.profiles)', 'not_found');
    return { client: deps.client, taskQueue: deps.taskQueue, decider: deps.decider, access: deps.access };
  };
  const id = (c: { req: { param(name: string): string } }) => {
    const raw = decodeURIComponent(c.req.param('id')).replace(/^access\//, '');
    if (!REQUEST_ID.test(raw)) throw new HttpError(400, 'not a request id', 'bad_request');
    return raw;
  };

  app.post('/access', async (c) => {
    const ask = await body(c, Request);
    return c.json(await requestAccess(access(), c.get('operator'), ask), 201);
  });
  app.get('/access', async (c) => c.json({ grants: await listOpenGrants(deps.client), asOf: new Date().toISOString() }));
  app.get('/access/:id', async (c) => c.json(await accessView(deps.client, id(c))));
  app.post('/access/:id/approve', async (c) => {
    const { planHash, justification } = await body(c, Decision);
    return c.json(await decideAccess(access(), c.get('operator'), id(c), 'approve', planHash, justification));
  });
  app.post('/access/:id/deny', async (c) => {
    const { planHash, justification } = await body(c, Decision);
    return c.json(await decideAccess(access(), c.get('operator'), id(c), 'deny', planHash, justification));
  });
  app.post('/access/:id/revoke', async (c) => {
    const { reason } = await body(c, Reason);
    return c.json(await revokeAccess(access(), c.get('operator'), id(c), reason), 202);
  });
  app.post('/access/:id/extend', async (c) => {
    const { extendBy, reason } = await body(c, Extension);
    return c.json(await extendAccess(access(), c.get('operator'), id(c), extendBy, reason), 202);
  });
  return app;
}
