import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createIngressApp, ingressDepsFrom, listen, type RunningServer } from '../../ingress';
import { ingressIdentity, type IngressIdentity } from '../../ingress/identity';
import { loadSigningKey, workerDecisionKeys } from '../../platform/decision-keys';
import type { DecisionKeys } from '../../domain/decision-proof';
import { TEST_DECISION_KEYS } from './decisions';
import { createMetrics, type Metrics } from '../../ingress/metrics';
import type { Config } from '../../platform/config';
import type { AuditSink } from '../../activities/audit-sink';
import { memoryAudit } from './temporal';

/** The secret the test stack's generic source verifies deliveries with. */
export const GENERIC_SECRET = 'test-generic-hmac-secret-0123456789';
export const DASHBOARD_TOKEN = 'test-dashboard-token-0123456789abcdef';

/** Settings for a stack whose generic webhook is signed and whose dashboard has a token. */
export function stackSettings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataDir: join(tmpdir(), `tq-stack-${process.pid}-${Date.now()}`),
    sources: { generic: { hmacSecret: GENERIC_SECRET } },
    dashboard: { token: DASHBOARD_TOKEN, cacheSeconds: 0 },
    ...overrides,
  };
}

/**
 * The real ingress (alerts, operator API, dashboard, /metrics) over a real socket, as a client of
 * `env`. Its decision key is created in the data directory as on a first start.
 */
export async function startIngress(
  env: TestWorkflowEnvironment,
  config: Config,
  audit = memoryAudit(),
): Promise<{ server: RunningServer; metrics: Metrics; identity: IngressIdentity; audit: ReturnType<typeof memoryAudit> }> {
  return { ...(await ingressOn(env, config, audit)), audit };
}

/** The same ingress recording on any audit sink: the benchmarks pass the processes' real ledger. */
export async function ingressOn(env: TestWorkflowEnvironment, config: Config, audit: AuditSink): Promise<{ server: RunningServer; metrics: Metrics; identity: IngressIdentity }> {
  const metrics = createMetrics();
  const identity = ingressIdentity(config, audit);
  const app = createIngressApp(ingressDepsFrom(config, env.client, { audit, metrics, operators: { decider: identity.decider, authenticate: identity.authenticate } }));
  return { server: await listen(app, '127.0.0.1', 0), metrics, identity };
}

/** What a test worker accepts: the ingress's key for this data directory (created now if new), and the test key. */
export function stackDecisionKeys(config: Config): DecisionKeys {
  loadSigningKey(config, { create: true });
  return { ...TEST_DECISION_KEYS, ...workerDecisionKeys(config) };
}

/** A generic alert's body and headers, signed the way senders sign it (`X-Tourniquet-Signature: t=…,v1=…`). */
export function signedAlert(alert: Record<string, unknown>, secret = GENERIC_SECRET): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(alert);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-tourniquet-signature': `t=${t},v1=${v1}` } };
}

/** POST a signed generic alert. */
export async function postSignedAlert(baseUrl: string, alert: Record<string, unknown>, secret = GENERIC_SECRET): Promise<Response> {
  const { body, headers } = signedAlert(alert, secret);
  return fetch(`${baseUrl}/alerts/generic`, { method: 'POST', headers, body });
}
