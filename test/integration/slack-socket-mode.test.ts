/**
 * Socket Mode, chosen by configuration: the same Bolt listeners, reached over a WebSocket the app
 * opens itself (apps.connections.open with the app token), with nothing mounted in the ingress.
 */
import { ingressIdentity } from '../../ingress/identity';
import { Client } from '@temporalio/client';
import pino from 'pino';
import { APPROVE_ACTION } from '../../activities/slack/blocks';
import { startSlackIngress } from '../../ingress/slack';
import { parseConfig } from '../../platform/config';
import { waitFor } from '../support/runbooks';
import { slackStandin, type SlackStandin } from '../support/slack-standin';
import { socketModeStandin } from '../support/slack-socket-standin';
import { memoryAudit } from '../support/temporal';

const BOT_TOKEN = 'xoxb-socket';
const APP_TOKEN = 'xapp-socket';

let socket: Awaited<ReturnType<typeof socketModeStandin>>;
let standin: SlackStandin;
let stop: () => Promise<void>;
let mounts: unknown[];

beforeAll(async () => {
  socket = await socketModeStandin();
  standin = await slackStandin(BOT_TOKEN, { appToken: APP_TOKEN, url: () => socket.url });
  const config = parseConfig({
    slack: { mode: 'socket', botToken: BOT_TOKEN, appToken: APP_TOKEN, channel: 'C1', apiUrl: standin.apiUrl },
  });
  // The /ir commands exercised here need no Temporal call; the client never connects.
  const started = await startSlackIngress(config, { client: new Client(), audit: memoryAudit(), decider: ingressIdentity(config, memoryAudit()).decider }, pino({ level: 'silent' }));
  stop = started.stop;
  mounts = started.mounts;
  await socket.ready;
});

afterAll(async () => {
  // The app asks to disconnect while Slack's side closes too, so no close handshake is left waiting.
  await Promise.all([stop?.(), socket?.close()]);
  await standin?.close();
});

test('the app connects with its app token and mounts nothing over HTTP', () => {
  expect(mounts).toEqual([]);
  expect(standin.callsOf('apps.connections.open')).toEqual([expect.objectContaining({ result: { ok: true, url: socket.url } })]);
});

test('a slash command envelope is acknowledged and answered through response_url', async () => {
  socket.send({
    envelope_id: 'env-1',
    type: 'slash_commands',
    accepts_response_payload: true,
    payload: {
      command: '/ir',
      text: 'help',
      user_id: 'U1',
      channel_id: 'C1',
      team_id: 'T1',
      trigger_id: 'trigger-socket-1',
      response_url: standin.responseUrl('socket-1'),
      api_app_id: 'A0001',
    },
  });
  await waitFor(async () => socket.acks, (acks) => acks.some((a) => a.envelope_id === 'env-1'), 'ack of env-1');
  const replies = await waitFor(async () => standin.callsOf('response_url'), (r) => r.length > 0, 'reply');
  expect(String(replies[0]!.args.text)).toContain('/ir declare');
});

test('an Approve click over the socket opens the justification modal', async () => {
  const value = JSON.stringify({ incidentId: 'incident/x', stepId: 'contain', planHash: 'abc' });
  socket.send({
    envelope_id: 'env-2',
    type: 'interactive',
    accepts_response_payload: false,
    payload: {
      type: 'block_actions',
      user: { id: 'U1', team_id: 'T1' },
      team: { id: 'T1' },
      channel: { id: 'C1' },
      api_app_id: 'A0001',
      trigger_id: 'trigger-socket-2',
      actions: [{ type: 'button', action_id: APPROVE_ACTION, block_id: 'approval', value, action_ts: '1' }],
    },
  });
  const opened = await waitFor(async () => standin.callsOf('views.open'), (calls) => calls.length > 0, 'views.open');
  expect(JSON.parse(String((opened[0]!.args.view as { private_metadata: string }).private_metadata))).toEqual({
    incidentId: 'incident/x',
    stepId: 'contain',
    planHash: 'abc',
    decision: 'approve',
    channel: 'C1',
  });
  expect(socket.acks.some((a) => a.envelope_id === 'env-2')).toBe(true);
});
