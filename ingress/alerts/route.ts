import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { Alert } from '../../domain/alert';
import { HttpError } from '../errors';
import { deliverAlert } from '../incidents';
import type { RawPayloadStore } from '../raw-store';
import { GenericPayload, genericAlerts } from './generic';
import { normalise } from './normalise';

export interface AlertRouteDeps {
  client: Client;
  taskQueue: string;
  rawStore: RawPayloadStore;
  maxBodyBytes: number;
}

async function readJson(body: ArrayBuffer): Promise<unknown> {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new HttpError(400, 'body is not valid UTF-8 JSON', 'malformed_json');
  }
}

/** POST /alerts/:source: verify, parse, normalise, then start or attach each alert's incident. */
export function alertRoutes(deps: AlertRouteDeps) {
  const app = new Hono();
  app.post('/alerts/:source', async (c) => {
    const source = c.req.param('source');
    if (source !== 'generic') throw new HttpError(404, `unknown alert source "${source}"`, 'unknown_source');
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      throw new HttpError(415, 'content-type must be application/json', 'unsupported_media_type');
    }
    const body = await c.req.arrayBuffer();
    if (body.byteLength > deps.maxBodyBytes) throw new HttpError(413, `body exceeds ${deps.maxBodyBytes} bytes`, 'too_large');
    const parsed = GenericPayload.safeParse(await readJson(body));
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      throw new HttpError(422, `${first.path.join('.') || 'body'}: ${first.message}`, 'invalid_payload');
    }
    const rawRef = await deps.rawStore.put(source, new Uint8Array(body));
    const receivedAt = new Date();
    const alerts: Alert[] = genericAlerts(parsed.data).map((a, i) =>
      normalise(
        'generic',
        { ...a, sourceFingerprint: a.fingerprint, sourceId: a.id },
        rawRef,
        i,
        receivedAt,
      ),
    );
    const incidents: string[] = [];
    for (const alert of alerts) incidents.push((await deliverAlert(deps.client, deps.taskQueue, alert)).incidentId);
    return c.json({ accepted: alerts.length, incidents: [...new Set(incidents)] }, 202);
  });
  return app;
}
