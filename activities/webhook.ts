import { insecureUrlReason } from '../platform/secure-url';
import { finalFailure, isFinalHttpStatus } from './errors';
import { requestSignal } from './heartbeat';
import type { StepInput, StepOutcome } from './step';

/**
 * Step type `webhook`: POST the incident and step to an HTTP endpoint (a SOAR, a ticketing
 * system). 4xx is final; 5xx and network errors are retried by the step's retry policy.
 * The Idempotency-Key header lets the receiver drop retried deliveries. The URL must be https
 * (loopback excepted): the payload describes an incident. A static URL was already checked when
 * the runbook loaded; one built from `${alert.…}` is known only here.
 */
export function createWebhookActivities(deps: { fetch: typeof fetch } = { fetch }) {
  return {
    async callWebhook(input: StepInput): Promise<StepOutcome> {
      const url = input.params.url;
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
        throw finalFailure(`webhook step ${input.stepId}: param "url" must be an http(s) URL`, 'ValidationError');
      }
      const insecure = insecureUrlReason(url);
      if (insecure) throw finalFailure(`webhook step ${input.stepId}: param "url": ${insecure}`, 'ValidationError');
      const response = await deps.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${input.incidentId}/${input.stepId}` },
        body: JSON.stringify({ incident: input.incidentId, step: input.stepId, payload: input.params.payload ?? null }),
        signal: requestSignal(30_000),
        // A redirect could lead to plain http, with the payload re-sent: not followed.
        redirect: 'manual',
      });
      if (response.status >= 300 && response.status < 400) {
        throw finalFailure(`webhook ${new URL(url).host} answered ${response.status}: redirects are not followed, configure the final URL`, 'WebhookRejected');
      }
      if (isFinalHttpStatus(response.status)) {
        throw finalFailure(`webhook ${new URL(url).host} answered ${response.status}`, 'WebhookRejected');
      }
      if (!response.ok) throw new Error(`webhook ${new URL(url).host} answered ${response.status}`);
      return { summary: `webhook ${new URL(url).host} answered ${response.status}` };
    },
  };
}
