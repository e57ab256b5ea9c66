import type { App, BlockButtonAction } from '@slack/bolt';
import { APPROVE_ACTION, DENY_ACTION, justificationModal } from '../../activities/slack/blocks';
import type { SlackDeps } from './deps';
import { approvalTargetOf } from './echoed-values';

/**
 * Approve / Deny buttons: nothing is decided on the click. It opens a modal asking for the
 * justification; the decision is made when the modal is submitted (approval-submit.ts).
 */
export function register(app: App, _deps: SlackDeps): void {
  for (const [actionId, decision] of [
    [APPROVE_ACTION, 'approve'],
    [DENY_ACTION, 'deny'],
  ] as const) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const target = approvalTargetOf(action.value);
      if (!target) return;
      await client.views.open({
        trigger_id: body.trigger_id,
        view: justificationModal({ ...target, decision, channel: body.channel?.id }),
      });
    });
  }
}
