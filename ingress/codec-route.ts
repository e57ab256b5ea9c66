import { getConnInfo } from '@hono/node-server/conninfo';
import { singleEventId, type AuditSink } from '../activities/audit-sink';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Hono, type Context } from 'hono';

/**
 * Temporal's codec server protocol, so the Temporal UI (and `temporal` CLI) can show decoded
 * payloads to authorised users: POST /codec/decode and /codec/encode with
 * `{ payloads: [{ metadata: { k: base64 }, data: base64 }] }`. CORS only for the configured UI
 * origins.
 *
 * Callers authenticate with the bearer token. A browser cannot add that header to the UI's
 * requests, so /codec/login trades the token for a session cookie, which the UI sends when its
 * "include cross-origin credentials" setting is on.
 */
export interface CodecRouteDeps {
  codec: PayloadCodec;
  token: string;
  corsOrigins: readonly string[];
  /** decoding stored payloads is a disclosure: each request is on the ledger */
  audit?: AuditSink;
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

function sameText(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  return sameText(header?.replace(/^Bearer\s+/i, '') ?? '', token);
}

const SESSION_COOKIE = 'tourniquet_codec';
const SESSION_MS = 8 * 60 * 60 * 1000;

/** `<expiry ms>.<HMAC of the expiry under the token>`: changing the token ends every session. */
function sessionValue(token: string, expiresAt: number): string {
  return `${expiresAt}.${createHmac('sha256', token).update(`codec-session:${expiresAt}`).digest('base64url')}`;
}

function sessionValid(cookieHeader: string | undefined, token: string, now: number): boolean {
  const value = cookieHeader
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  const expiresAt = Number(value?.split('.')[0]);
  return !!value && Number.isSafeInteger(expiresAt) && expiresAt > now && sameText(value, sessionValue(token, expiresAt));
}

const LOGIN_PAGE = (message: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tourniquet codec sign-in</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto">
<h1>Decode payloads in the Temporal UI</h1>
<p>${message}</p>
<form method="post" action="/codec/login">
<label>Codec endpoint token <input name="token" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body></html>`;

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
  app.get('/codec/login', (c) =>
    c.html(LOGIN_PAGE('Sign in once in this browser; the Temporal UI then shows decoded inputs, results and signals (turn on "include cross-origin credentials" in its codec settings).')),
  );
  app.post('/codec/login', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.token === 'string' ? form.token : '';
    if (!sameText(token, deps.token)) return c.html(LOGIN_PAGE('That token is not the codec endpoint token. Nothing was changed.'), 401);
    const expiresAt = Date.now() + SESSION_MS;
    // Cross-site UIs (Temporal Cloud) need SameSite=None, which browsers accept only with Secure.
    const https = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
    c.header(
      'Set-Cookie',
      `${SESSION_COOKIE}=${sessionValue(deps.token, expiresAt)}; Path=/codec; Max-Age=${SESSION_MS / 1000}; HttpOnly; ${https ? 'SameSite=None; Secure' : 'SameSite=Lax'}`,
    );
    return c.html(LOGIN_PAGE('Signed in for 8 hours. The Temporal UI in this browser can now decode payloads.'));
  });
  app.post('/codec/:op{decode|encode}', async (c) => {
    cors(c);
    const authorised = bearerMatches(c.req.header('authorization'), deps.token) || sessionValid(c.req.header('cookie'), deps.token, Date.now());
    if (!authorised) return c.json({ error: 'unauthorized' }, 401);
    let body: { payloads?: JsonPayload[] };
    try {
      body = (await c.req.json()) as { payloads?: JsonPayload[] };
    } catch {
      return c.json({ error: 'malformed_json', message: 'body must be {"payloads": [...]}' }, 400);
    }
    if (!Array.isArray(body.payloads)) return c.json({ error: 'invalid_payload', message: 'body must be {"payloads": [...]}' }, 400);
    const payloads = body.payloads.map(fromJson);
    const op = c.req.param('op');
    await deps.audit?.append({
      id: singleEventId('ingress'),
      who: bearerMatches(c.req.header('authorization'), deps.token) ? 'codec-token' : 'codec-session',
      what: `codec.${op}`,
      when: new Date().toISOString(),
      where: clientAddress(c),
      why: {},
      // The Temporal UI names the namespace it shows; the workflow is not sent with the payloads.
      correlationId: `codec:${c.req.header('x-namespace') ?? 'unknown namespace'}`,
      details: { payloads: payloads.length, namespace: c.req.header('x-namespace') ?? null },
    });
    try {
      const out = op === 'decode' ? await deps.codec.decode(payloads) : await deps.codec.encode(payloads);
      return c.json({ payloads: out.map(toJson) });
    } catch (err) {
      return c.json({ error: 'codec_failed', message: (err as Error).message }, 422);
    }
  });
  return app;
}

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'in-process';
  }
}
