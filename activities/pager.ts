import { hostname } from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { PAGER_SEVERITY } from '../domain/severity-policy';
import type { ResponseTarget } from '../domain/severity-policy';
import type { Severity } from '../domain/severity';
import type { AuditSink } from './audit-sink';
import { finalFailure, isFinalHttpStatus } from './errors';
import { requestSignal } from './heartbeat';

/** PagerDuty's Events API v2 (`routingKey` is the integration key: a secret, never in input, logs or audit). */
export interface PagerDutySettings {
  url: string;
  routingKey?: string;
}

export interface PagerActivityDeps {
  pagerDuty: PagerDutySettings;
  audit: AuditSink;
  fetch: typeof fetch;
}

/** What the workflow asks for: only ids and names, PHI-free; the routing key is added here. */
export interface PageRequest {
  action: 'trigger' | 'resolve';
  incidentId: string;
  dedupKey: string;
  level: string;
  /** the missed target (trigger), or the last one met (resolve) */
  target: ResponseTarget;
  within: string;
  severity: Severity;
}

export interface PageResult {
  status: number;
  dedupKey: string;
}

/** A 4xx PagerDuty will answer again (an invalid event, a wrong routing key): retrying cannot help. */
export const PAGER_REJECTED = 'PagerDutyRejected';

/**
 * Page the on-call, or resolve the page: one event to `POST /v2/enqueue`. PagerDuty deduplicates by
 * `dedup_key` (one per incident), so a retried trigger is the same alert and a retried resolve
 * resolves it once. 202 is success; 429 and 5xx are retried by the activity's retry policy; any
 * other 4xx is final. One audit record per event sent, its id fixed by the activity, so a retry
 * appends it once.
 */
export function createPagerActivities(deps: PagerActivityDeps) {
  return {
    async pageOnCall(request: PageRequest): Promise<PageResult> {
      const { routingKey, url } = deps.pagerDuty;
      if (!routingKey) throw finalFailure('PagerDuty is not configured: set severity.pagerDuty.routingKey (TOURNIQUET_PAGERDUTY_ROUTING_KEY)', 'PagerDutyNotConfigured');
      const event =
        request.action === 'trigger'
          ? {
              routing_key: routingKey,
              event_action: 'trigger',
              dedup_key: request.dedupKey,
              payload: {
                summary: `${request.level} ${request.incidentId}: ${request.target} target (${request.within}) missed`,
                source: 'tourniquet',
                severity: PAGER_SEVERITY[request.severity],
                component: request.incidentId,
                group: request.level,
                class: `target.${request.target}`,
                custom_details: { incident: request.incidentId, level: request.level, target: request.target, within: request.within },
              },
            }
          : { routing_key: routingKey, event_action: 'resolve', dedup_key: request.dedupKey };
      let response: Response;
      try {
        response = await deps.fetch(new URL('/v2/enqueue', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
          signal: requestSignal(30_000),
          redirect: 'manual',
        });
      } catch (err) {
        throw ApplicationFailure.retryable(`PagerDuty could not be reached: ${(err as Error).message}`, 'PagerDutyUnreachable');
      }
      const answer = (await response.json().catch(() => ({}))) as { status?: string; message?: string; errors?: unknown[]; dedup_key?: string };
      const said = [answer.message, ...(Array.isArray(answer.errors) ? answer.errors.map(String) : [])].filter(Boolean).join('; ');
      if (response.status === 429) throw ApplicationFailure.retryable('PagerDuty answered 429 (throttled)', 'PagerDutyThrottled');
      if (isFinalHttpStatus(response.status) || (response.status >= 300 && response.status < 400)) {
        throw finalFailure(`PagerDuty answered ${response.status}${answer.status ? ` (${answer.status})` : ''}${said ? `: ${said}` : ''}`, PAGER_REJECTED);
      }
      if (response.status !== 202) throw ApplicationFailure.retryable(`PagerDuty answered ${response.status}`, 'PagerDutyUnavailable');
      const { workflowExecution, activityId } = Context.current().info;
      await deps.audit.append({
        id: `pagerduty/${workflowExecution?.runId ?? 'no-run'}/${activityId}`,
        who: 'worker',
        what: `pagerduty.${request.action}`,
        when: new Date().toISOString(),
        where: `worker:${hostname()}/${process.pid}`,
        why: { incident: request.incidentId, reason: `${request.level} ${request.target} target (${request.within}) ${request.action === 'trigger' ? 'missed' : 'met'}` },
        correlationId: request.incidentId,
        details: { dedupKey: answer.dedup_key ?? request.dedupKey, status: response.status, level: request.level, target: request.target },
      });
      return { status: response.status, dedupKey: answer.dedup_key ?? request.dedupKey };
    },
  };
}
