import { Hono } from 'hono';
import { z } from 'zod';
import { assessmentAction, assessmentSubject, noSubject, noticeSubject } from '../../domain/decision-subjects';
import { fingerprintOf } from '../../domain/ids';
import { calendarDateOf } from '../../domain/hipaa';
import { stateQuery } from '../../workflows/definitions';
import { workflowRefusal } from '../decisions';
import { incidentIdParam } from './context';
import {
  BREACH_CLOCK_WORKFLOW,
  breachClockId,
  correctDiscoveryUpdate,
  type BreachClockInput,
  recordFactsUpdate,
  recordLawEnforcementDelayUpdate,
  recordNoticeSentUpdate,
  recordRiskAssessmentUpdate,
} from '../../workflows/breach-clock-definitions';
import { HttpError } from '../errors';
import { body, type ApiEnv, type OperatorApiDeps } from './context';

const text = z.string().trim().min(1).max(4_000);
const count = z.number().int().min(0);
const Facts = z
  .object({ affected: count.nullable().optional(), byState: z.record(z.string(), count).optional(), insufficientContact: count.optional(), reason: z.string().max(2_000).optional() })
  .strict();
const Delay = z.object({
  statement: z
    .object({ form: z.enum(['written', 'oral']), statedOn: z.string(), until: z.string().optional(), official: text, agency: text, reference: text })
    .strict(),
});
const Notice = z.object({ obligationId: z.string().min(1).max(100), sentOn: z.string(), evidence: z.string().max(2_000) }).strict();
const Assessment = z.object({
  assessment: z
    .object({
      natureAndExtent: z.string().max(4_000),
      unauthorizedPerson: z.string().max(4_000),
      acquiredOrViewed: z.string().max(4_000),
      mitigation: z.string().max(4_000),
      conclusion: z.enum(['low-probability-of-compromise', 'notification-required']),
      reference: z.string().max(2_000),
      /** default: the person recording it */
      assessedBy: z.string().max(200).optional(),
    })
    .strict(),
});

const Discovery = z.object({ discoveredAt: z.string().max(40), reason: text }).strict();
const Start = z.object({ incidentId: z.string().max(300), discoveredAt: z.string().max(40).optional(), reason: text }).strict();

/** `breach-clock/<fingerprint>` from a clock id, an incident id or a bare fingerprint. */
function clockIdParam(segment: string): string {
  const id = decodeURIComponent(segment);
  const fingerprint = fingerprintOf(id);
  if (!/^[\w.:-]+$/.test(fingerprint)) throw new HttpError(400, 'not a clock id', 'bad_request');
  return breachClockId(fingerprint);
}

/** POST /clocks/:id/facts | delays | notices | assessments: the breach clock's records. */
export function clockRoutes(deps: OperatorApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const { decider, client } = deps;
  const handle = (id: string) => client.workflow.getHandle(id);

  app.post('/clocks/:id/facts', async (c) => {
    const workflowId = clockIdParam(c.req.param('id'));
    const change = await body(c, Facts);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'clock.facts', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(recordFactsUpdate, { args: [{ proof, ...change }] }),
      ),
    );
  });

  app.post('/clocks/:id/delays', async (c) => {
    const workflowId = clockIdParam(c.req.param('id'));
    const { statement } = await body(c, Delay);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'clock.delay', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(recordLawEnforcementDelayUpdate, { args: [{ proof, statement }] }),
      ),
    );
  });

  app.post('/clocks/:id/notices', async (c) => {
    const workflowId = clockIdParam(c.req.param('id'));
    const notice = await body(c, Notice);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'clock.notice', workflowId, subject: noticeSubject(notice.obligationId) }, (proof) =>
        handle(workflowId).executeUpdate(recordNoticeSentUpdate, { args: [{ proof, ...notice }] }),
      ),
    );
  });

  app.post('/clocks/:id/discovery', async (c) => {
    const workflowId = clockIdParam(c.req.param('id'));
    const correction = await body(c, Discovery);
    return c.json(
      await decider.decide(c.get('operator'), { action: 'clock.discovery', workflowId, subject: noSubject() }, (proof) =>
        handle(workflowId).executeUpdate(correctDiscoveryUpdate, { args: [{ proof, ...correction }] }),
      ),
    );
  });

  // A privacy officer starts a clock on any incident (a triage that turns out to involve PHI).
  app.post('/clocks', async (c) => {
    const start = await body(c, Start);
    const incidentId = incidentIdParam(start.incidentId);
    const workflowId = breachClockId(incidentId);
    let openedAt: string;
    try {
      openedAt = (await handle(incidentId).query(stateQuery)).openedAt;
    } catch (err) {
      if (workflowRefusal(err)?.notFound) throw new HttpError(404, `no incident ${incidentId}`, 'not_found');
      throw err;
    }
    // Discovery defaults to the incident's opening: the first day anyone here knew of it.
    const discoveredAt = start.discoveredAt ?? openedAt;
    try {
      calendarDateOf(discoveredAt, 'UTC');
    } catch {
      throw new HttpError(400, 'discoveredAt: an ISO date or date-time', 'bad_request');
    }
    if (Date.parse(discoveredAt.length === 10 ? `${discoveredAt}T00:00:00Z` : discoveredAt) > Date.now()) throw new HttpError(400, 'discoveredAt: in the future', 'bad_request');
    await decider.decide(c.get('operator'), { action: 'clock.start', workflowId, subject: noSubject() }, async (proof) => {
      const input: BreachClockInput = { id: workflowId, incidentId, discoveredAt, started: { proof, reason: start.reason } };
      await client.workflow.start(BREACH_CLOCK_WORKFLOW, { taskQueue: deps.taskQueue, workflowId, args: [input] }).catch((err: Error) => {
        if (err.name === 'WorkflowExecutionAlreadyStartedError') throw new HttpError(409, `${workflowId} is already running`, 'refused');
        throw err;
      });
    });
    return c.json({ id: workflowId, incidentId, discoveredAt }, 201);
  });

  // An assessment concluding a low probability of compromise closes the clock: its own authority.
  app.post('/clocks/:id/assessments', async (c) => {
    const workflowId = clockIdParam(c.req.param('id'));
    const { assessment } = await body(c, Assessment);
    const op = c.get('operator');
    const { conclusion } = assessment;
    return c.json(
      await decider.decide(op, { action: assessmentAction(conclusion), workflowId, subject: assessmentSubject(conclusion) }, (proof) =>
        handle(workflowId).executeUpdate(recordRiskAssessmentUpdate, { args: [{ proof, assessment: { ...assessment, assessedBy: assessment.assessedBy ?? op.person } }] }),
      ),
    );
  });
  return app;
}
