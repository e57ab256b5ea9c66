import type { App } from '@slack/bolt';
import { approvalSubject } from '../../domain/decision-subjects';
import { maskText } from '../../domain/masking';
import { approveUpdate, denyUpdate } from '../../workflows/definitions';
import { HttpError } from '../errors';
import { slackOperator } from '../identity/operator';
import { JUSTIFICATION_BLOCK, JUSTIFICATION_INPUT, JUSTIFY_VIEW, safe } from '../../activities/slack/blocks';
import { justificationContextOf } from './echoed-values';
import { singleEventId } from '../../activities/audit-sink';
import type { SlackDeps } from './deps';
import { refusalReason } from './rejections';

/**
 * The justification modal submitted: the clicker is the person their Slack user maps to, with
 * their groups now; the decision goes to the incident as an update carrying a grant for exactly
 * this step and plan. The incident's validator decides (group, requester ≠ approver, duplicate,
 * stale plan); a refusal changes nothing, is explained to the clicker alone, and is audited.
 */
export function register(app: App, deps: SlackDeps): void {
  app.view(JUSTIFY_VIEW, async ({ ack, body, view, client }) => {
    await ack();
    const context = justificationContextOf(view.private_metadata);
    if (!context) return;
    const user = body.user.id;
    const operator = slackOperator(deps.decider.directory, body.team?.id ?? body.user.team_id, user);
    const justification = view.state.values[JUSTIFICATION_BLOCK]?.[JUSTIFICATION_INPUT]?.value?.trim() ?? '';
    const update = context.decision === 'approve' ? approveUpdate : denyUpdate;
    const decision = { action: context.decision, workflowId: context.incidentId, subject: approvalSubject(context.stepId, context.planHash) };
    try {
      await deps.decider.decide(operator, decision, (proof) =>
        deps.client.workflow.getHandle(context.incidentId).executeUpdate(update, {
          args: [{ proof, stepId: context.stepId, justification, planHash: context.planHash }],
          // A retried delivery of the same submission is the same update: Temporal answers it once.
          updateId: `slack/${view.id}`,
        }),
      );
    } catch (err) {
      const reason = err instanceof HttpError && err.status < 500 ? err.message : refusalReason(err);
      if (reason === undefined) throw err;
      await deps.audit.append({
        id: singleEventId('ingress'),
        who: operator.person,
        what: `approval.rejected`,
        when: new Date().toISOString(),
        where: operator.via,
        why: { incident: context.incidentId, step: context.stepId, justification: maskText(justification) },
        correlationId: context.incidentId,
        details: { decision: context.decision, reason, planHash: context.planHash },
      });
      const text = `:no_entry: Your ${context.decision === 'approve' ? 'approval' : 'denial'} of *${safe(context.stepId)}* was not recorded: ${safe(reason)}`;
      if (context.channel) await client.chat.postEphemeral({ channel: context.channel, user, text });
      else await client.chat.postMessage({ channel: user, text });
    }
  });
}
