import type { App, BlockButtonAction } from '@slack/bolt';
import { APPROVE_ACTION, DENY_ACTION, justificationModal, type ApprovalTarget } from './blocks';
import type { SlackDeps } from './deps';

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
      const target = parseTarget(action.value);
      if (!target) return;
      await client.views.open({
        trigger_id: body.trigger_id,
        view: justificationModal({ ...target, decision, channel: body.channel?.id }),
      });
    });
  }
}

function parseTarget(value: string | undefined): ApprovalTarget | undefined {
  try {
    const v = JSON.parse(value ?? '') as Partial<ApprovalTarget>;
    if (typeof v.incidentId === 'string' && typeof v.stepId === 'string' && typeof v.planHash === 'string') {
      return { incidentId: v.incidentId, stepId: v.stepId, planHash: v.planHash };
    }
  } catch {
    // a button we did not build: ignore
  }
  return undefined;
}
