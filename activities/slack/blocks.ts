/**
 * Block Kit builders for every Slack surface Tourniquet shows: the incident message, approval
 * requests, escalations and the justification modal. Pure functions. What they are given is what
 * a person may see (activities/notify.ts hands over the incident as domain/display.ts shows it:
 * alert free text withheld unless its source allows it), and every piece of text passes through
 * maskText on top.
 */
import type { KnownBlock, View } from '@slack/types';
import type { IncidentState, StepState } from '../../domain/incident';
import type { TargetState } from '../../domain/severity-policy';
import type { TargetMiss } from '../notifier';
import { isExerciseId } from '../../domain/ids';
import { maskText } from '../../domain/masking';
import { DEFAULT_INCIDENT_ROLES, rolesLine } from '../../domain/roles';

export const APPROVE_ACTION = 'tourniquet.approve';
export const DENY_ACTION = 'tourniquet.deny';
export const JUSTIFY_VIEW = 'tourniquet.justify';
export const JUSTIFICATION_BLOCK = 'justification';
export const JUSTIFICATION_INPUT = 'text';

export interface SlackMessage {
  /** the notification / fallback text */
  text: string;
  blocks: KnownBlock[];
}

/** What an Approve / Deny button stands for: one step of one incident, under one plan. */
export interface ApprovalTarget {
  incidentId: string;
  stepId: string;
  planHash: string;
}

/** The modal's memory between the click and the submission (Slack echoes it back). */
export interface JustificationContext extends ApprovalTarget {
  decision: 'approve' | 'deny';
  /** where the click happened, for an ephemeral answer if the decision is rejected */
  channel?: string;
}

export interface UiLink {
  uiUrl: string;
  namespace: string;
}

/** Slack mrkdwn treats &, < and > as markup; user text must not inject mentions or links. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Masked and escaped: the only way incident text enters a Slack message. */
export function safe(text: string): string {
  return escapeMrkdwn(maskText(text));
}

/** A Slack user id becomes a mention; any other name (a CLI user) stays plain text. */
export function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : safe(user);
}

export function workflowUrl(link: UiLink, workflowId: string): string {
  return `${link.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(link.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

const STEP_ICON: Record<StepState['status'], string> = {
  pending: ':white_circle:',
  'awaiting-approval': ':hourglass_flowing_sand:',
  running: ':arrow_forward:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  denied: ':no_entry_sign:',
  skipped: ':fast_forward:',
  compensated: ':leftwards_arrow_with_hook:',
};

function stepLine(step: StepState): string {
  const detail = step.error ?? step.summary;
  const decisions = step.approvals.map(
    (a) => `${a.decision === 'approve' ? 'approved' : 'denied'} by ${mention(a.by)} (“${safe(a.justification)}”)`,
  );
  return [`${STEP_ICON[step.status]} *${safe(step.id)}* — ${step.status}${detail ? `: ${safe(detail)}` : ''}`, ...decisions.map((d) => `      ${d}`)].join('\n');
}

/** A group's members mentioned, or the group named when it lists nobody. */
function groupMention(group: string, members: string[]): string {
  return members.length > 0 ? `${safe(group)} (${members.map(mention).join(' ')})` : `group ${safe(group)}`;
}

/**
 * The incident's one message, rebuilt from state on every change and edited in place. The
 * runbook's RACI informed groups are mentioned on it (`members`: a group's people).
 */
export function incidentMessage(state: IncidentState, link: UiLink, members: (group: string) => string[] = () => []): SlackMessage {
  const title = safe(state.title || state.id);
  const current = state.steps.find((s) => ['awaiting-approval', 'running'].includes(s.status));
  const facts = [
    `*Status:* ${state.status}${state.escalated ? ' (escalated)' : ''}`,
    `*Severity:* ${state.level ? `${safe(state.level)} (${state.severity})` : state.severity}`,
    `*Runbook:* ${state.runbook ? safe(state.runbook.id) : '—'}`,
    `*Alerts:* ${state.alertCount}`,
    `*Requested by:* ${state.requester.startsWith('alert:') ? safe(state.requester) : mention(state.requester)}`,
    `*Acknowledged by:* ${state.acknowledgedBy ? mention(state.acknowledgedBy) : '—'}`,
  ];
  const roles = rolesLine(state.roles, DEFAULT_INCIDENT_ROLES, mention);
  if (roles) facts.push(`*Roles:* ${roles}`);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *${title}*\n\`${safe(state.id)}\`` } },
    { type: 'section', fields: facts.map((text) => ({ type: 'mrkdwn' as const, text })) },
  ];
  if (state.raci?.informed.length) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Informed:* ${state.raci.informed.map((g) => groupMention(g, members(g))).join(' · ')}` } });
  }
  if (current) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Current step:* ${safe(current.id)} (${current.status})` } });
  if (state.targets && state.targets.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Targets:* ${state.targets.map(targetLine).join(' · ')}` } });
  }
  if (state.steps.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: state.steps.map(stepLine).join('\n').slice(0, 2900) } });
  }
  if (state.checklist?.length) {
    const items = state.checklist.map((i) => `${i.checkedAt ? ':white_check_mark:' : ':white_square:'} ${safe(i.id)} (${i.phase})`).join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Checklist:*\n${items}`.slice(0, 2900) } });
  }
  if (state.resolution) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Resolution:* ${safe(state.resolution)}` } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${workflowUrl(link, state.id)}|Open in Temporal UI>` }] });
  return exerciseMarked(state.id, { text: `[${state.level ? `${safe(state.level)} ` : ''}${state.severity}] ${title} — ${state.status}`, blocks });
}

const TARGET_ICON: Record<TargetState['status'], string> = { pending: ':hourglass_flowing_sand:', met: ':white_check_mark:', missed: ':x:' };

function targetLine(t: TargetState): string {
  const when = t.status === 'pending' ? `due ${utcTime(t.dueAt)}` : t.status;
  return `${TARGET_ICON[t.status]} ${t.target} within ${safe(t.within)} (${when}${t.page === 'sent' || t.page === 'resolved' ? ', paged' : ''})`;
}

const utcTime = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** A missed response target, in the incident's thread (its channel, with a channel per incident). */
export function targetMissedMessage(miss: TargetMiss, members: string[]): SlackMessage {
  const who = members.length > 0 ? members.map(mention).join(' ') : miss.group ? `group ${safe(miss.group)}` : 'responders';
  const what = `${safe(miss.level)} *${safe(miss.target)}* target missed: not met within ${safe(miss.within)} (due ${utcTime(miss.dueAt)})`;
  const text = `:alarm_clock: ${what} ${who}${miss.paging ? '; paging the on-call' : ''}`;
  return exerciseMarked(miss.incidentId, {
    text: `${safe(miss.level)} ${safe(miss.target)} target missed (${safe(miss.within)})`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `\`${safe(miss.incidentId)}\`` }] },
    ],
  });
}

export const EXERCISE_BANNER = ':construction: *EXERCISE* — a drill: nothing is changed in AWS';

/** Every message about an exercise says so, first, in its text and its first block. */
export function exerciseMarked(incidentId: string, message: SlackMessage): SlackMessage {
  if (!isExerciseId(incidentId)) return message;
  return {
    ...message,
    text: `EXERCISE: ${message.text}`,
    blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: EXERCISE_BANNER }] }, ...message.blocks],
  };
}

export interface ApprovalMessageInput extends ApprovalTarget {
  incidentTitle: string;
  stepType: string;
  plan: string[];
  group: string;
  approvers: number;
  requester: string;
  /** people to mention: the approver group's members */
  members: string[];
  /** the runbook's RACI consulted groups, with their members, mentioned but not deciding */
  consulted?: { group: string; members: string[] }[];
}

/** An approval request: the exact plan, who may decide, and Approve / Deny buttons bound to the plan. */
export function approvalMessage(ask: ApprovalMessageInput): SlackMessage {
  const target: ApprovalTarget = { incidentId: ask.incidentId, stepId: ask.stepId, planHash: ask.planHash };
  const value = JSON.stringify(target);
  const plan = ask.plan.map((line) => safe(line)).join('\n').slice(0, 2800);
  const who = ask.members.length > 0 ? ask.members.map(mention).join(' ') : `group ${safe(ask.group)}`;
  const needs = ask.approvers > 1 ? `${ask.approvers} distinct approvers` : 'one approver';
  return exerciseMarked(ask.incidentId, {
    text: `Approval needed: ${safe(ask.stepId)} on ${safe(ask.incidentTitle)}`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:lock: *Approval needed* for step *${safe(ask.stepId)}* (${safe(ask.stepType)}) of *${safe(ask.incidentTitle)}*\n${who}: ${needs} from *${safe(ask.group)}*; the requester may not approve.`,
        },
      },
      ...(ask.consulted?.length
        ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: `*Consulted:* ${ask.consulted.map((c) => groupMention(c.group, c.members)).join(' · ')}` } }]
        : []),
      { type: 'section', text: { type: 'mrkdwn', text: `*It will do exactly this:*\n\`\`\`${plan}\`\`\`` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `plan ${ask.planHash.slice(0, 12)} · \`${safe(ask.incidentId)}\`` }] },
      {
        type: 'actions',
        block_id: 'approval',
        elements: [
          { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value },
          { type: 'button', action_id: DENY_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value },
        ],
      },
    ],
  });
}

export function escalationMessage(message: string, group: string | undefined, members: string[], incidentId: string): SlackMessage {
  const who = members.length > 0 ? members.map(mention).join(' ') : group ? `group ${safe(group)}` : 'responders';
  const text = `:rotating_light: *Escalation*${group ? ` to *${safe(group)}*` : ''} ${who}: ${safe(message)}`;
  return exerciseMarked(incidentId, {
    text: `Escalation: ${safe(message)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `\`${safe(incidentId)}\`` }] },
    ],
  });
}

/** The modal asking for a justification; the decision happens when it is submitted. */
export function justificationModal(context: JustificationContext): View {
  const verb = context.decision === 'approve' ? 'Approve' : 'Deny';
  return {
    type: 'modal',
    callback_id: JUSTIFY_VIEW,
    private_metadata: JSON.stringify(context),
    title: { type: 'plain_text', text: `${verb} step` },
    submit: { type: 'plain_text', text: verb },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${verb} *${safe(context.stepId)}* of \`${safe(context.incidentId)}\` (plan ${context.planHash.slice(0, 12)})` },
      },
      {
        type: 'input',
        block_id: JUSTIFICATION_BLOCK,
        label: { type: 'plain_text', text: 'Justification (kept with the decision)' },
        element: { type: 'plain_text_input', action_id: JUSTIFICATION_INPUT, multiline: true, min_length: 3 },
      },
    ],
  };
}

/** Where Temporal UI links point: the configured UI, else the embedded dev server's. */
export function uiLinkFor(temporal: { uiUrl?: string; embeddedUiPort: number; namespace: string }): UiLink {
  return { uiUrl: temporal.uiUrl ?? `http://127.0.0.1:${temporal.embeddedUiPort}`, namespace: temporal.namespace };
}
