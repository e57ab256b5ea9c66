/**
 * `/ir access …`: break-glass access from Slack, through the same checks as the operator API
 * (ingress/access.ts). `/ir access <profile> <duration> <reason> [--incident=<id>]` asks;
 * `list` shows open grants with time left; `approve|deny <id> <plan-hash> <justification>` and
 * `revoke <id> <reason>` decide. The requester is the Slack user as the directory maps them.
 */
import { accessGrantIdFromUser } from '../../domain/ids';
import { accessView, decideAccess, requestAccess, revokeAccess, type AccessDeps } from '../access';
import { describeGrantLine, listOpenGrants } from '../read-model';
import { slackOperator } from '../identity/operator';
import { safe } from '../../activities/slack/blocks';
import type { SlackDeps } from './deps';
import type { CommandInvocation, Reply } from './ir-commands';

export const ACCESS_USAGE = 'access <profile> <duration> <reason> [--incident=<id>] | access list | access approve|deny <id> <plan> <why> | access revoke <id> <why>';

export async function accessCommand(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const usage = { text: `usage: \`${deps.command} ${ACCESS_USAGE}\`` };
  const [first, ...rest] = args.split(/\s+/).filter(Boolean);
  if (!first) return usage;
  if (first === 'list') {
    const grants = await listOpenGrants(deps.client);
    return { text: grants.length > 0 ? `*Break-glass access*\n${grants.map((g) => `• ${safe(describeGrantLine(g))}`).join('\n')}` : 'No break-glass access is open.' };
  }
  if (!deps.access || Object.keys(deps.access.profiles).length === 0) return { text: 'No break-glass profiles are configured (access.profiles).' };
  const access: AccessDeps = { client: deps.client, taskQueue: deps.taskQueue, decider: deps.decider, access: deps.access };
  const op = slackOperator(deps.decider.directory, call.team, call.user);
  if (first === 'approve' || first === 'deny') {
    const [id, plan, ...why] = rest;
    if (!id || !plan || why.length === 0) return usage;
    const view = await decideAccess(access, op, id, first, plan, why.join(' '));
    return { text: `${first === 'approve' ? 'Approved' : 'Denied'} \`${safe(view.id)}\` (${view.status}).` };
  }
  if (first === 'revoke') {
    const [id, ...why] = rest;
    if (!id || why.length === 0) return usage;
    const view = await revokeAccess(access, op, id, why.join(' '));
    return { text: `Revoking \`${safe(view.id)}\`.` };
  }
  const incident = rest.find((w) => w.startsWith('--incident='))?.slice('--incident='.length);
  const [duration, ...words] = rest.filter((w) => !w.startsWith('--incident='));
  if (!duration || words.length === 0) return usage;
  const view = await requestAccess(access, op, { profile: first, duration, reason: words.join(' '), requestKey: call.triggerId, ...(incident ? { incident } : {}) });
  const shown = await accessView(deps.client, accessGrantIdFromUser(view.id)).catch(() => view);
  return {
    text:
      `:key: asked for *${safe(first)}* for ${safe(duration)}: \`${safe(shown.id)}\` (${shown.status}).\n` +
      (shown.pending ? `${shown.pending.plan.map((l) => `• ${safe(l)}`).join('\n')}\nplan \`${shown.pending.planHash.slice(0, 16)}\`; ${shown.approvers} of ${safe(shown.approverGroup)} to approve.` : ''),
  };
}
