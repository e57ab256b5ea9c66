/**
 * The Slack app (Bolt). HTTP mode: Bolt's HTTPReceiver verifies every request (v0 HMAC-SHA256 of
 * the body with the signing secret, timestamps older than 5 minutes refused) and answers as soon as
 * a listener acks; its request listener is mounted at /slack/events in the ingress's HTTP server.
 * Socket Mode: Bolt connects out to Slack with the app token; nothing is mounted.
 */
import type { RequestListener } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { Config } from '../../platform/config';
import { displayPolicyFrom } from '../../platform/display-policy';
import type { Logger } from '../../platform/logger';
import { register as approvalClick } from './approval-click';
import { register as approvalSubmit } from './approval-submit';
import { uiLinkFor } from '../../activities/slack/blocks';
import { boltLogger } from './bolt-logger';
import type { SlackDeps } from './deps';
import { register as slashCommand } from './slash-command';

export const SLACK_EVENTS_PATH = '/slack/events';

const LISTENERS = [slashCommand, approvalClick, approvalSubmit];

export interface SlackApp {
  app: App;
  /** HTTP mode: the listener to mount at SLACK_EVENTS_PATH */
  requestListener?: RequestListener;
  /** Socket Mode connects here; HTTP mode has nothing to start */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type SlackSettings = Config['slack'];

export function createSlackApp(settings: SlackSettings, deps: SlackDeps, log: Logger): SlackApp {
  if (!settings.botToken) throw new Error('slack.botToken is not set');
  const logger = boltLogger(log);
  const clientOptions = settings.apiUrl ? { slackApiUrl: settings.apiUrl } : undefined;
  if (settings.mode === 'socket') {
    // installerOptions.clientOptions is what Bolt hands the Socket Mode client (apps.connections.open).
    const receiver = new SocketModeReceiver({ appToken: settings.appToken!, logger, installerOptions: { clientOptions } });
    const app = new App({ token: settings.botToken, receiver, logger, clientOptions });
    for (const register of LISTENERS) register(app, deps);
    return { app, start: async () => void (await app.start()), stop: () => app.stop().then(() => undefined) };
  }
  const receiver = new HTTPReceiver({
    signingSecret: settings.signingSecret!,
    endpoints: SLACK_EVENTS_PATH,
    signatureVerification: true,
    // Ack first, work after: Slack's 3-second deadline is met however slow Temporal is.
    processBeforeResponse: false,
    logger,
  });
  const app = new App({ token: settings.botToken, receiver, logger, clientOptions });
  for (const register of LISTENERS) register(app, deps);
  return { app, requestListener: receiver.requestListener, start: async () => undefined, stop: async () => undefined };
}

/** The Slack side of the ingress, from configuration: the request listener to mount (HTTP mode) and a stop. */
export async function startSlackIngress(
  config: Config,
  deps: Omit<SlackDeps, 'command' | 'link' | 'taskQueue'>,
  log: Logger,
): Promise<{ mounts: { path: string; listener: RequestListener }[]; stop(): Promise<void> }> {
  if (!config.slack.botToken) return { mounts: [], stop: async () => undefined };
  const slack = createSlackApp(
    config.slack,
    { ...deps, access: config.access, runbooksDir: config.runbooksDir, taskQueue: config.temporal.taskQueue, command: config.slack.command, link: uiLinkFor(config.temporal), display: displayPolicyFrom(config) },
    log,
  );
  await slack.start();
  const mounts = slack.requestListener ? [{ path: SLACK_EVENTS_PATH, listener: slack.requestListener }] : [];
  return { mounts, stop: slack.stop };
}
