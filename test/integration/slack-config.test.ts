/** Slack settings are validated at start: a half-configured Slack stops the process with the setting's name. */
import { ConfigError, loadConfig, parseConfig } from '../../platform/config';
import { tmpdir } from 'node:os';

test('without a bot token Slack is simply off', () => {
  const config = parseConfig({});
  expect(config.slack).toEqual({ mode: 'http', command: '/ir', incidentChannels: false });
});

test('http mode needs the signing secret and a channel; errors name the setting and its variable', () => {
  expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }, '/nonexistent')).toThrow(ConfigError);
  try {
    loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }, '/nonexistent');
  } catch (err) {
    expect((err as Error).message).toContain('slack.signingSecret (SLACK_SIGNING_SECRET)');
    expect((err as Error).message).toContain('slack.channel (TOURNIQUET_SLACK_CHANNEL)');
  }
});

test('socket mode needs the app token instead of the signing secret', () => {
  const env = { SLACK_BOT_TOKEN: 'xoxb-1', TOURNIQUET_SLACK_MODE: 'socket', TOURNIQUET_SLACK_CHANNEL: 'C1' };
  expect(() => loadConfig(env, '/nonexistent')).toThrow(/slack\.appToken \(SLACK_APP_TOKEN\): required in socket mode/);
  const config = loadConfig({ ...env, SLACK_APP_TOKEN: 'xapp-1' }, '/nonexistent');
  expect(config.slack).toMatchObject({ mode: 'socket', appToken: 'xapp-1', channel: 'C1' });
});

test('the command name must look like a slash command', () => {
  expect(() => parseConfig({ slack: { command: 'ir' } })).toThrow(/slack\.command.*slash command/);
  expect(parseConfig({ slack: { command: '/incident' } }).slack.command).toBe('/incident');
});

test('incident channels are switched on by a flag, and only by true or false', () => {
  expect(loadConfig({ TOURNIQUET_SLACK_INCIDENT_CHANNELS: 'true' }, tmpdir()).slack.incidentChannels).toBe(true);
  expect(() => loadConfig({ TOURNIQUET_SLACK_INCIDENT_CHANNELS: 'yes please' }, tmpdir())).toThrow(
    /slack\.incidentChannels \(TOURNIQUET_SLACK_INCIDENT_CHANNELS\)/,
  );
});
