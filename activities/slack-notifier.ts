/**
 * The Slack Notifier: one message per incident (in the configured channel, or in a channel of the
 * incident's own when `incidentChannels` is set), posted once and then edited in place; approval
 * requests with Approve / Deny buttons showing the exact plan; escalations mentioning the group.
 * Every text goes through the builders in activities/slack/blocks.ts, which mask PHI.
 */
import { fingerprintOf, isExerciseId } from '../domain/ids';
import { ErrorCode, WebClient, type Logger as SlackLogger, type WebAPICallResult } from '@slack/web-api';
import type { ChatMessageRef } from '../domain/incident';
import { approvalMessage, escalationMessage, exerciseMarked, incidentMessage, safe, targetMissedMessage, type UiLink } from './slack/blocks';
import { classify, finalFailure } from './errors';
import type { Notifier } from './notifier';

export interface SlackNotifierDeps {
  client: WebClient;
  /** channel id where incidents are posted */
  channel: string;
  approverGroups: Record<string, string[]>;
  link: UiLink;
  /** a channel of its own per incident; `channel` then only links to it */
  incidentChannels?: boolean;
}

/** Message metadata event type of an incident's own message. */
const INCIDENT_MESSAGE_EVENT = 'tourniquet_incident';

/** Slack channel names: lowercase letters, digits, `-` and `_`, at most 80 characters. */
export function incidentChannelName(incidentId: string): string {
  return `ir-${fingerprintOf(incidentId).toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 40)}`;
}

/** Slack errors retrying cannot fix: bad token, missing scope, unknown channel, bad blocks. */
const FINAL_SLACK_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'msg_too_long',
]);

/**
 * A WebClient for the activities: Temporal's retry policy retries, not the client. Its own log
 * lines go through our masking logger when one is given (otherwise the client's console logger).
 */
export function slackWebClient(token: string, apiUrl?: string, logger?: SlackLogger): WebClient {
  return new WebClient(token, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, ...(logger ? { logger } : {}) });
}

function slackErrorOf(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  return e.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}

/** Rethrow a Slack failure classified: final for errors retrying cannot fix, retryable otherwise. */
function slackFailure(what: string, err: unknown): never {
  const slackError = slackErrorOf(err);
  if (slackError && FINAL_SLACK_ERRORS.has(slackError)) throw finalFailure(`slack ${what}: ${slackError}`, 'SlackPlatformError');
  return classify(err, `slack ${what}`);
}

async function call<T extends WebAPICallResult>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    return slackFailure(what, err);
  }
}

export function slackNotifier(deps: SlackNotifierDeps): Notifier {
  // Messages this process posted, so a retried first announce edits instead of posting twice.
  const posted = new Map<string, ChatMessageRef>();
  const members = (group?: string) => (group ? (deps.approverGroups[group] ?? []) : []);

  // Incident channels this process knows: incident id → channel id.
  const incidentChannels = new Map<string, string>();

  /** The incident's own channel: created once; after a restart, found again by its name. */
  async function incidentChannel(incidentId: string): Promise<string> {
    const known = incidentChannels.get(incidentId);
    if (known) return known;
    const name = incidentChannelName(incidentId);
    let id: string | undefined;
    try {
      id = (await deps.client.conversations.create({ name })).channel?.id;
      if (id) {
        const link = `${isExerciseId(incidentId) ? 'EXERCISE: ' : ''}Incident \`${safe(incidentId)}\` has its own channel: <#${id}>`;
        await call('chat.postMessage', () => deps.client.chat.postMessage({ channel: deps.channel, text: link, unfurl_links: false }));
      }
    } catch (err) {
      if (slackErrorOf(err) !== 'name_taken') slackFailure('conversations.create', err);
      for await (const page of deps.client.paginate('conversations.list', { exclude_archived: true, limit: 200 })) {
        const found = (page as { channels?: { id?: string; name?: string }[] }).channels?.find((c) => c.name === name);
        if (found?.id) {
          id = found.id;
          break;
        }
      }
    }
    if (!id) throw finalFailure(`slack: channel ${name} could not be created or found`, 'SlackPlatformError');
    incidentChannels.set(incidentId, id);
    return id;
  }

  const channelOf = (incidentId: string) => (deps.incidentChannels ? incidentChannel(incidentId) : Promise.resolve(deps.channel));

  async function postNew(
    channel: string,
    text: string,
    blocks: ReturnType<typeof incidentMessage>['blocks'],
    opts: { threadOf?: string; incidentMessageOf?: string } = {},
  ) {
    const thread = opts.threadOf && !deps.incidentChannels ? posted.get(opts.threadOf) : undefined;
    // The incident's own message carries its id as message metadata, so a retry can find it.
    const metadata = opts.incidentMessageOf ? { event_type: INCIDENT_MESSAGE_EVENT, event_payload: { incident_id: opts.incidentMessageOf } } : undefined;
    const res = await call('chat.postMessage', () =>
      deps.client.chat.postMessage({ channel, text, blocks, thread_ts: thread?.ts, unfurl_links: false, ...(metadata ? { metadata } : {}) }),
    );
    return { channel: res.channel ?? channel, ts: res.ts ?? '' };
  }

  /**
   * The incident's message, if an earlier attempt posted it: among the channel's recent messages,
   * the one whose metadata names the incident. Needs the `channels:history` scope; without it (or
   * on any error) nothing is found and the caller posts.
   */
  async function findPosted(channel: string, incidentId: string): Promise<ChatMessageRef | undefined> {
    try {
      const res = await deps.client.conversations.history({ channel, include_all_metadata: true, limit: 100 });
      const found = res.messages?.find(
        (m) => m.metadata?.event_type === INCIDENT_MESSAGE_EVENT && (m.metadata.event_payload as { incident_id?: string } | undefined)?.incident_id === incidentId,
      );
      return found?.ts ? { channel, ts: found.ts } : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    async announce(state, opts = {}) {
      const { text, blocks } = incidentMessage(state, deps.link, members);
      const ref = state.slack ?? posted.get(state.id) ?? (opts.retried ? await findPosted(await channelOf(state.id), state.id) : undefined);
      if (ref) {
        try {
          await deps.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks });
          posted.set(state.id, ref);
          return ref;
        } catch (err) {
          // Someone deleted the message: post it again rather than fail the incident's announcements.
          if (slackErrorOf(err) !== 'message_not_found') slackFailure('chat.update', err);
        }
      }
      const created = await postNew(await channelOf(state.id), text, blocks, { incidentMessageOf: state.id });
      posted.set(state.id, created);
      return created;
    },

    async requestApproval(ask) {
      // Top level, not in a thread: an approval must be seen.
      const consulted = (ask.consulted ?? []).map((group) => ({ group, members: members(group) }));
      const { text, blocks } = approvalMessage({ ...ask, members: members(ask.group), consulted });
      await postNew(await channelOf(ask.incidentId), text, blocks);
    },

    async escalate(escalation) {
      const { text, blocks } = escalationMessage(escalation.message, escalation.group, members(escalation.group), escalation.incidentId);
      await postNew(escalation.channel ?? (await channelOf(escalation.incidentId)), text, blocks);
    },

    async targetMissed(miss) {
      const { text, blocks } = targetMissedMessage(miss, members(miss.group));
      await postNew(await channelOf(miss.incidentId), text, blocks, { threadOf: miss.incidentId });
    },

    async post(incidentId, text) {
      const masked = safe(text);
      const message = exerciseMarked(incidentId, { text: masked, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: masked || ' ' } }] });
      await postNew(await channelOf(incidentId), message.text, message.blocks, { threadOf: incidentId });
    },
  };
}
