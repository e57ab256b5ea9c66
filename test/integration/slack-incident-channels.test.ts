/**
 * `slack.incidentChannels`: each incident gets a channel of its own (created once, found again by
 * name after a restart), its message is edited in place there, its approvals and escalations go
 * there, and the main channel gets one line linking to it. Real Web API client, local stand-in.
 */
import type { IncidentState } from '../../domain/incident';
import { incidentChannelName } from '../../activities/slack-notifier';
import { anAlert } from '../support/alerts';
import { slackStandin, standinNotifier, type SlackStandin } from '../support/slack-standin';

const BOT_TOKEN = 'xoxb-incident-channels';
const MAIN = 'C0MAIN';
let standin: SlackStandin;

beforeAll(async () => {
  standin = await slackStandin(BOT_TOKEN);
});
afterAll(async () => standin?.close());

function notifier() {
  return standinNotifier(standin, MAIN, { oncall: ['U1'] }, { incidentChannels: true });
}

function incident(id: string, status: IncidentState['status']): IncidentState {
  return {
    id,
    title: 'export to jane.doe@example.org',
    severity: 'high',
    status,
    openedAt: '2026-11-29T10:00:00.000Z',
    firstObservedAt: '2026-11-29T09:59:00.000Z',
    requester: 'alert:generic',
    alerts: [anAlert()],
    alertCount: 1,
    resolvedAlerts: 0,
    steps: [],
    escalated: false,
    notes: 0,
  };
}

test('an incident gets its own channel, created once and found again after a restart', async () => {
  const id = 'incident/ABC123def456';
  const name = incidentChannelName(id);
  expect(name).toBe('ir-abc123def456');

  const first = notifier();
  const ref = await first.announce(incident(id, 'open'));
  const channelId = standin.channels.get(name)!;
  expect(channelId).toBeDefined();
  expect(ref).toEqual({ channel: channelId, ts: expect.any(String) });
  const links = standin.callsOf('chat.postMessage').filter((c) => c.args.channel === MAIN);
  expect(links).toHaveLength(1);
  expect(String(links[0]!.args.text)).toContain(`<#${channelId}>`);

  // The same process edits in place; a new process (no memory) finds the channel by name.
  await first.announce({ ...incident(id, 'containing'), slack: ref });
  const second = notifier();
  await second.requestApproval({
    incidentId: id,
    incidentTitle: 'export',
    stepId: 'revoke',
    stepType: 'revokeCredentials',
    plan: ['deactivate access key AKIA… of svc-export'],
    planHash: 'h1',
    group: 'oncall',
    approvers: 1,
    requester: 'alert:generic',
  });
  await second.escalate({ incidentId: id, group: 'oncall', stepId: 'revoke', message: 'step revoke failed' });
  await second.post(id, 'reminder: 7 days left');

  expect(standin.callsOf('conversations.create')).toHaveLength(2); // the second answered name_taken
  expect(standin.channels.size).toBe(1);
  expect(standin.callsOf('chat.update')).toHaveLength(1);
  const inIncidentChannel = standin.callsOf('chat.postMessage').filter((c) => c.args.channel === channelId);
  expect(inIncidentChannel).toHaveLength(4); // incident message, approval, escalation, reminder
  expect(standin.callsOf('chat.postMessage').filter((c) => c.args.channel === MAIN)).toHaveLength(1);
  // No PHI in anything posted.
  expect(JSON.stringify(standin.calls)).not.toContain('jane.doe@example.org');
});
