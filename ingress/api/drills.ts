import { Hono } from 'hono';
import { DrillStart, startDrill } from '../drills';
import { body, type ApiEnv, type OperatorApiDeps } from './context';

/** POST /drills: open an exercise incident of a runbook or a scenario (see ingress/drills.ts). */
export function drillRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post('/drills', async (c) => {
    const request = await body(c, DrillStart);
    const started = await startDrill(deps, c.get('operator'), request);
    return c.json({ ...started, exercise: true }, 201);
  });
  return app;
}
