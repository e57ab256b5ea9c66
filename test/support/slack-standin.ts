import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackNotifier, slackWebClient, type SlackNotifierDeps } from '../../activities/slack-notifier';
import { waitFor } from './runbooks';

/** One Web API call (or response_url post) the stand-in received, arguments decoded. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** what the stand-in answered */
  result?: Record<string, unknown>;
}

interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown;
  metadata?: unknown;
}

/**
 * A local stand-in for the Slack Web API: answers the methods Tourniquet uses the way Slack does
 * (`{ok: true, ts, channel}`, `{ok: false, error}` for a bad token or an unknown message), keeps
 * posted messages so chat.update really edits one, and records every call. It also accepts
 * response_url posts at /response/<id>.
 */
export async function slackStandin(botToken: string, socketMode: { appToken: string; url: () => string } | undefined = undefined) {
  const calls: SlackCall[] = [];
  const messages = new Map<string, StoredMessage>();
  let clock = 1_700_000_000;
  let views = 0;
  const channels = new Map<string, string>(); // name → id
  /** while set, every Web API method but auth.test answers `{ ok: false, error }`, as Slack does */
  let refusal: string | undefined;

  const methods: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ ok: true, url: 'https://standin.slack.test/', team: 'Test', user: 'tourniquet', team_id: 'T0001', user_id: 'UBOT', bot_id: 'B0001' }),
    'chat.postMessage': (args) => {
      const channel = String(args.channel ?? '');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      clock += 1;
      const ts = `${clock}.000100`;
      const message = { channel, ts, text: String(args.text ?? ''), blocks: args.blocks, ...(args.metadata ? { metadata: args.metadata } : {}) };
      messages.set(`${channel}/${ts}`, message);
      return { ok: true, channel, ts, message: { type: 'message', text: message.text, ts } };
    },
    'chat.update': (args) => {
      const key = `${String(args.channel)}/${String(args.ts)}`;
      const found = messages.get(key);
      if (!found) return { ok: false, error: 'message_not_found' };
      found.text = String(args.text ?? '');
      found.blocks = args.blocks;
      return { ok: true, channel: found.channel, ts: found.ts, text: found.text };
    },
    'chat.postEphemeral': (args) => (args.channel && args.user ? { ok: true, message_ts: `${clock}.000200` } : { ok: false, error: 'channel_not_found' }),
    'conversations.create': (args) => {
      const name = String(args.name ?? '');
      if (!/^[a-z0-9_-]{1,80}$/.test(name)) return { ok: false, error: 'invalid_name_specials' };
      if (channels.has(name)) return { ok: false, error: 'name_taken' };
      const id = `C${String(channels.size + 1).padStart(8, '0')}`;
      channels.set(name, id);
      return { ok: true, channel: { id, name, is_channel: true } };
    },
    // Newest first, metadata only when asked for, as Slack does.
    'conversations.history': (args) => ({
      ok: true,
      messages: [...messages.values()]
        .filter((m) => m.channel === args.channel)
        .reverse()
        .slice(0, Number(args.limit ?? 100))
        .map(({ ts, text, metadata }) => ({ type: 'message', ts, text, ...(args.include_all_metadata && metadata ? { metadata } : {}) })),
      has_more: false,
    }),
    'conversations.list': () => ({
      ok: true,
      channels: [...channels].map(([name, id]) => ({ id, name, is_channel: true, is_archived: false })),
      response_metadata: { next_cursor: '' },
    }),
    'views.open': (args) => {
      if (!args.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
      views += 1;
      return { ok: true, view: { id: `V${views}`, ...(args.view as object) } };
    },
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const args = decode(raw, req.headers['content-type'] ?? '');
      const path = (req.url ?? '/').split('?')[0]!;
      const answer = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path.startsWith('/response/')) {
        calls.push({ method: 'response_url', args: { ...args, responseId: path.slice('/response/'.length) } });
        return answer({ ok: true });
      }
      const method = path.replace(/^\/api\//, '');
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || String(args.token ?? '');
      const handler = methods[method];
      // Socket Mode asks for its WebSocket URL with the app-level token, everything else uses the bot token.
      const result =
        method === 'apps.connections.open'
          ? socketMode && token === socketMode.appToken
            ? { ok: true, url: socketMode.url() }
            : { ok: false, error: 'invalid_auth' }
          : token !== botToken
            ? { ok: false, error: 'invalid_auth' }
            : refusal && method !== 'auth.test'
              ? { ok: false, error: refusal }
              : handler
                ? handler(args)
                : { ok: false, error: 'unknown_method' };
      calls.push({ method, args, result });
      answer(result);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    botToken,
    /** what to configure as `slack.apiUrl` */
    apiUrl: `${url}/api/`,
    responseUrl: (id: string) => `${url}/response/${id}`,
    calls,
    messages,
    channels,
    callsOf: (method: string) => calls.filter((c) => c.method === method),
    /** refuse every call with this Slack error (e.g. `not_in_channel`), or answer again (undefined) */
    refuse: (error: string | undefined) => void (refusal = error),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export type SlackStandin = Awaited<ReturnType<typeof slackStandin>>;

/** The worker's real Slack notifier, talking to the stand-in with its bot token; links point at a local Temporal UI. */
export function standinNotifier(standin: SlackStandin, channel: string, approverGroups: Record<string, string[]> = {}, more: Partial<SlackNotifierDeps> = {}) {
  return slackNotifier({
    client: slackWebClient(standin.botToken, standin.apiUrl),
    channel,
    approverGroups,
    link: { uiUrl: 'http://127.0.0.1:8233', namespace: 'default' },
    ...more,
  });
}

/** Slack's Web API takes form fields whose object values are JSON; response_url takes JSON. */
function decode(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    out[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return out;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * A request as Slack sends it: form-encoded body, signed with the app's signing secret
 * (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`). `secret` and `timestamp` can be changed to
 * forge or replay one.
 */
export async function signedSlackPost(
  url: string,
  fields: Record<string, string>,
  signing: { secret: string; timestamp?: number },
): Promise<Response> {
  const body = new URLSearchParams(fields).toString();
  const timestamp = signing.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', signing.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
    body,
  });
}

/** `/ir <text>` typed by `user` in `channel`, as Slack posts it; `id` makes its trigger and response URL unique. */
export function slashCommandFields(standin: SlackStandin, user: string, text: string, channel: string, id: string): Record<string, string> {
  return {
    token: 'legacy',
    team_id: 'T0001',
    team_domain: 'test',
    channel_id: channel,
    channel_name: 'incidents',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/ir',
    text,
    api_app_id: 'A0001',
    response_url: standin.responseUrl(`cmd-${id}`),
    trigger_id: `trigger-${id}`,
  };
}

/** Sends a slash command (Slack must get its 200) and waits for the reply posted to its response URL. */
export async function slashReply(standin: SlackStandin, send: () => Promise<Response>, text: string): Promise<Record<string, unknown>> {
  const responses = () => standin.callsOf('response_url');
  const before = responses().length;
  expect((await send()).status).toBe(200);
  const got = await waitFor(async () => responses(), (r) => r.length > before, `reply to /ir ${text}`);
  return got[got.length - 1]!.args;
}
