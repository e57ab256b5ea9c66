import { Hono } from 'hono';
import { addDrillFinding, DrillFinding, drillIdFromUser, DrillStart, startDrill } from '../drills';
import { body, type ApiEnv, type OperatorApiDeps } from './context';

/** POST /drills: open an exercise incident of a runbook or a scenario; POST /drills/:id/findings: a finding of a drill (see ingress/drills.ts). */
export function drillRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post('/drills', async (c) => {
    const request = await body(c, DrillStart);
    const started = await startDrill(deps, c.get('operator'), request);
    return c.json({ ...started, exercise: true }, 201);
  });
  app.post('/drills/:id/findings', async (c) => {
    const drillId = drillIdFromUser(decodeURIComponent(c.req.param('id')));
    const finding = await body(c, DrillFinding);
    return c.json(await addDrillFinding(deps, c.get('operator'), drillId, finding), 201);
  });
  return app;
}
