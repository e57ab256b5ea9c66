import type { App } from '@slack/bolt';
import type { SlackDeps } from './deps';
import { runIrCommand } from './ir-commands';

/** `/ir …`: ack within Slack's 3 seconds, then do the work and answer through response_url. */
export function register(app: App, deps: SlackDeps): void {
  app.command(deps.command, async ({ command, ack, respond }) => {
    await ack();
    const reply = await runIrCommand(deps, {
      user: command.user_id,
      team: command.team_id,
      text: command.text,
      triggerId: command.trigger_id,
      channel: command.channel_id,
    });
    await respond({ response_type: 'ephemeral', text: reply.text });
  });
}
