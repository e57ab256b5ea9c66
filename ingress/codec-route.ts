import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Hono, type Context } from 'hono';

/**
 * Temporal's codec server protocol, so the Temporal UI (and `temporal` CLI) can show decoded
 * payloads to authorised users: POST /codec/decode and /codec/encode with
 * `{ payloads: [{ metadata: { k: base64 }, data: base64 }] }`. Bearer-token protected; CORS only
 * for the configured UI origins (the UI calls from the browser, with credentials).
 */
export interface CodecRouteDeps {
  codec: PayloadCodec;
  token: string;
  corsOrigins: readonly string[];
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function codecRoutes(deps: CodecRouteDeps): Hono {
  const app = new Hono();
  const cors = (c: Context) => {
    const origin = c.req.header('origin');
    if (!origin || !deps.corsOrigins.includes(origin)) return;
    c.header('Access-Control-Allow-Origin', origin);
    c.header('Access-Control-Allow-Credentials', 'true');
    c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
    c.header('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
    c.header('Vary', 'Origin');
  };
  // Preflight carries no credentials: it is answered without the token, and only for known origins.
  app.options('/codec/:op{decode|encode}', (c) => {
    cors(c);
    return c.body(null, 204);
  });
  app.post('/codec/:op{decode|encode}', async (c) => {
    cors(c);
    if (!bearerMatches(c.req.header('authorization'), deps.token)) return c.json({ error: 'unauthorized' }, 401);
    let body: { payloads?: JsonPayload[] };
    try {
      body = (await c.req.json()) as { payloads?: JsonPayload[] };
    } catch {
      return c.json({ error: 'malformed_json', message: 'body must be {"payloads": [...]}' }, 400);
    }
    if (!Array.isArray(body.payloads)) return c.json({ error: 'invalid_payload', message: 'body must be {"payloads": [...]}' }, 400);
    const payloads = body.payloads.map(fromJson);
    try {
      const out = c.req.param('op') === 'decode' ? await deps.codec.decode(payloads) : await deps.codec.encode(payloads);
      return c.json({ payloads: out.map(toJson) });
    } catch (err) {
      return c.json({ error: 'codec_failed', message: (err as Error).message }, 422);
    }
  });
  return app;
}
