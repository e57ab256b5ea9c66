import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One event PagerDuty's Events API v2 received, with what the stand-in answered. */
export interface PagerEvent {
  body: Record<string, unknown>;
  status: number;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** The Events API v2's own validation (https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty). */
function problems(event: Record<string, unknown>): string[] {
  const out: string[] = [];
  const key = event.routing_key;
  if (typeof key !== 'string' || key.length !== 32) out.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (!['trigger', 'acknowledge', 'resolve'].includes(String(event.event_action))) out.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
  if (event.event_action !== 'trigger' && typeof event.dedup_key !== 'string') out.push("'dedup_key' is missing or blank");
  if (typeof event.dedup_key === 'string' && event.dedup_key.length > 255) out.push("'dedup_key' is too long (maximum is 255 characters)");
  if (event.event_action === 'trigger') {
    const payload = (event.payload ?? {}) as Record<string, unknown>;
    if (typeof payload.summary !== 'string' || !payload.summary) out.push("'payload.summary' is missing or blank");
    else if (payload.summary.length > 1024) out.push("'payload.summary' is too long");
    if (typeof payload.source !== 'string' || !payload.source) out.push("'payload.source' is missing or blank");
    if (!SEVERITIES.includes(String(payload.severity))) out.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')");
  }
  return out;
}

/**
 * A local stand-in for PagerDuty's Events API v2 (`POST /v2/enqueue`), answering as PagerDuty does:
 * 202 `{status: "success", message: "Event processed", dedup_key}`, 400 `{status: "invalid event",
 * errors}` for an event that breaks its rules, 429 when throttled. `answerNext` scripts the next
 * answers (429 to throttle, 400 to refuse, 500 for an outage). Keeps the alerts it holds, by dedup key.
 */
export async function pagerDutyStandin(routingKey: string) {
  const events: PagerEvent[] = [];
  const scripted: number[] = [];
  /** dedup key → open or resolved, as PagerDuty keeps an alert */
  const alerts = new Map<string, { status: 'triggered' | 'resolved'; triggers: number }>();
  let generated = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: Record<string, unknown>, record: Record<string, unknown>) => {
        events.push({ body: record, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') return answer(404, { status: 'not found' }, {});
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      } catch {
        return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Malformed JSON'] }, {});
      }
      const forced = scripted.shift();
      if (forced === 429) return answer(429, { status: 'throttle exceeded', message: 'Requests for this service are arriving too quickly. Please retry later.' }, event);
      if (forced !== undefined && forced >= 500) return answer(forced, { status: 'error', message: 'internal error' }, event);
      const wrong = forced === 400 ? ["'payload.summary' is invalid"] : problems(event);
      if (wrong.length === 0 && event.routing_key !== routingKey) wrong.push('Invalid routing key');
      if (wrong.length > 0) return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors: wrong }, event);
      const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : `generated-${++generated}`;
      const alert = alerts.get(dedupKey);
      if (event.event_action === 'trigger') {
        if (alert?.status === 'triggered') alert.triggers += 1;
        else alerts.set(dedupKey, { status: 'triggered', triggers: 1 });
      } else if (event.event_action === 'resolve' && alert) alert.status = 'resolved';
      return answer(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey }, event);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    alerts,
    /** the next answers, in order, whatever the events say */
    answerNext: (...statuses: number[]) => void scripted.push(...statuses),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export type PagerDutyStandin = Awaited<ReturnType<typeof pagerDutyStandin>>;
