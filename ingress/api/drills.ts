import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { PRINCIPAL_TYPES } from '../../domain/alert';
import { noSubject } from '../../domain/decision-subjects';
import { drillAlert } from '../../domain/exercise';
import { withPrincipalType } from '../../domain/principal';
import { SEVERITIES } from '../../domain/severity';
import { deliverAlert } from '../incidents';
import { body, type ApiEnv, type OperatorApiDeps } from './context';

/** What a drill's alert may name: the subject fields a real source sends, kept to a safe alphabet. */
const Name = z.string().trim().min(1).max(256).regex(/^[\w.:/@+=,-]+$/, 'letters, digits and . : / @ + = , - _ only');
const Subject = z
  .object({
    principal: Name,
    principalType: z.enum(PRINCIPAL_TYPES),
    accessKeyId: Name,
    kmsKeyId: Name,
    ips: z.array(Name).max(50),
  })
  .partial()
  .strict();
const DrillStart = z.object({
  runbook: z.string().trim().regex(/^[a-z0-9][a-z0-9-]*$/, 'a runbook id'),
  severity: z.enum(SEVERITIES).default('high'),
  subject: Subject.default({}),
});

/** POST /drills: open an exercise incident of a runbook (see domain/exercise.ts). */
export function drillRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post('/drills', async (c) => {
    const { runbook, severity, subject } = await body(c, DrillStart);
    const op = c.get('operator');
    const { incidentId, alert } = drillAlert({ runbook, severity, subject: withPrincipalType(subject), startedBy: op.person, suffix: randomBytes(10).toString('hex'), at: new Date().toISOString() });
    await deps.decider.decide(op, { action: 'drill.start', workflowId: incidentId, subject: noSubject() }, () =>
      deliverAlert(deps.client, deps.taskQueue, alert, op.person),
    );
    return c.json({ incidentId, runbook, exercise: true }, 201);
  });
  return app;
}
