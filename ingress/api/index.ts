import { Hono } from 'hono';
import { clockRoutes } from './clocks';
import { drillRoutes } from './drills';
import { clientAddress, type ApiEnv, type OperatorApiDeps } from './context';
import { incidentRoutes } from './incidents';
import { reviewRoutes } from './reviews';
import { stepRoutes } from './steps';
import { timerRoutes } from './blocks';
import { accessRoutes } from './access';

export type { OperatorApiDeps } from './context';

export const OPERATOR_API_PREFIX = '/api/v1';

/**
 * The operator API: every change a person makes from outside Slack (the CLI, scripts). Each request
 * signs in (OIDC or an API token); each decision is checked against the authority table and sent
 * to its workflow with a grant only the ingress can sign. Errors become statuses in one place
 * (ingress/errors.ts; workflow refusals in ingress/decisions.ts).
 */
export function operatorApi(deps: OperatorApiDeps): Hono {
  const api = new Hono<ApiEnv>();
  api.use('*', async (c, next) => {
    c.set('operator', await deps.authenticate(c.req.header('authorization'), clientAddress(c)));
    c.header('cache-control', 'no-store');
    await next();
  });
  api.get('/whoami', (c) => {
    const op = c.get('operator');
    return c.json({ person: op.person, groups: op.groups, via: op.via, method: op.method });
  });
  api.route('/', incidentRoutes(deps));
  api.route('/', stepRoutes(deps));
  api.route('/', timerRoutes(deps));
  api.route('/', clockRoutes(deps));
  api.route('/', accessRoutes(deps));
  api.route('/', reviewRoutes(deps));
  api.route('/', drillRoutes(deps));
  return new Hono().route(OPERATOR_API_PREFIX, api);
}
