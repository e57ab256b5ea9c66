/**
 * The `/ir` slash command's subcommands. Each does one Temporal call (start, query, update or a
 * visibility listing) and returns the reply for the person who typed it. Replies mask PHI.
 */
import { createHash } from 'node:crypto';
import { listIncidents, listOpenClocks } from '../read-model';
import type { Alert } from '../../domain/alert';
import { displayState, WITHHOLD_FREE_TEXT } from '../../domain/display';
import { incidentIdFor, manualAlert } from '../../domain/alert';
import { noSubject, stepSubject } from '../../domain/decision-subjects';
import type { IncidentState } from '../../domain/incident';
import { isSeverity, SEVERITIES, type Severity } from '../../domain/severity';
import { acknowledgeUpdate, closeNoActionUpdate, resolveUpdate, retryStepUpdate, skipStepUpdate, stateQuery } from '../../workflows/definitions';
import { HttpError } from '../errors';
import { slackOperator, type Operator } from '../identity/operator';
import { deliverAlert } from '../incidents';
import { assignRole } from '../roles';
import { safe, workflowUrl } from '../../activities/slack/blocks';
import type { SlackDeps } from './deps';
import { DRILL_USAGE, drillCommand } from './drill-command';
import { incidentIdFromUser, refusalReason } from './rejections';
import { ACCESS_USAGE, accessCommand } from './access-command';

export interface CommandInvocation {
  user: string;
  /** the Slack workspace, for the record of where a decision came from */
  team?: string;
  /** everything after the command name */
  text: string;
  /** unique per invocation: a declared incident is named after it, so a repeat cannot open two */
  triggerId: string;
  channel: string;
}

/**
 * Replies are ephemeral, seen only by the person who typed the command: an in-channel reply would
 * also show the command as typed, unmasked, to the whole channel. The channel learns of a declared
 * incident from the incident's own (masked) message.
 */
export interface Reply {
  text: string;
}

type Subcommand = (deps: SlackDeps, call: CommandInvocation, args: string) => Promise<Reply>;

const SUBCOMMANDS: Record<string, { usage: string; run: Subcommand }> = {
  declare: { usage: 'declare [--sev=<severity>] <title>', run: declare },
  status: { usage: 'status [id]', run: status },
  list: { usage: 'list', run: list },
  ack: { usage: 'ack <id>', run: acknowledge },
  role: { usage: 'role <id> <role> <@person|me> [reason]', run: role },
  resolve: { usage: 'resolve <id> <reason>', run: resolve },
  close: { usage: 'close <id> <reason>', run: closeNoAction },
  retry: { usage: 'retry <id> <step> <reason>', run: stepAction('retry') },
  skip: { usage: 'skip <id> <step> <reason>', run: stepAction('skip') },
  clocks: { usage: 'clocks', run: clocks },
  access: { usage: ACCESS_USAGE, run: accessCommand },
  drill: { usage: DRILL_USAGE, run: drillCommand },
  help: { usage: 'help', run: async (deps) => help(deps) },
};

export async function runIrCommand(deps: SlackDeps, call: CommandInvocation): Promise<Reply> {
  const [name = 'help', ...rest] = call.text.trim().split(/\s+/);
  const sub = SUBCOMMANDS[name.toLowerCase()];
  if (!sub) return { text: `Unknown subcommand “${safe(name)}”.\n${help(deps).text}` };
  try {
    return await sub.run(deps, call, rest.join(' ').trim());
  } catch (err) {
    const reason = err instanceof HttpError && err.status < 500 ? err.message : refusalReason(err);
    if (reason) return { text: `:no_entry: ${safe(reason)}` };
    throw err;
  }
}

function help(deps: SlackDeps): Reply {
  return { text: ['*Tourniquet*', ...Object.values(SUBCOMMANDS).map((s) => `\`${deps.command} ${s.usage}\``)].join('\n') };
}

/** The person who typed the command, with their groups now. */
function operatorOf(deps: SlackDeps, call: CommandInvocation): Operator {
  return slackOperator(deps.decider.directory, call.team, call.user);
}

/** A manual alert from Slack; its fingerprint comes from the trigger id, so it names one incident. */
export function slackDeclaration(call: CommandInvocation, title: string, severity: Severity, now = new Date()): Alert {
  const digest = createHash('sha256').update(call.triggerId).digest('hex').slice(0, 20);
  return manualAlert({
    title,
    severity,
    labels: { declaredBy: call.user, channel: call.channel },
    fingerprint: `manual-${digest}`,
    deliveryId: `slack:${call.triggerId}`,
    observedAt: now.toISOString(),
  });
}

async function declare(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const sev = /^--sev=(\S+)\s*/.exec(args);
  const severity = sev?.[1] ?? 'high';
  if (!isSeverity(severity)) return { text: `severity must be one of ${SEVERITIES.join(', ')}` };
  const title = args.slice(sev?.[0].length ?? 0).trim();
  if (!title) return { text: `usage: \`${deps.command} declare [--sev=<severity>] <title>\`` };
  const alert = slackDeclaration(call, title, severity);
  const op = operatorOf(deps, call);
  const { incidentId } = await deps.decider.decide(op, { action: 'declare', workflowId: incidentIdFor(alert.fingerprint), subject: noSubject() }, () =>
    deliverAlert(deps.client, deps.taskQueue, alert, op.person),
  );
  const shown = (deps.display ?? WITHHOLD_FREE_TEXT).showTitles.includes('manual') ? `: ${safe(title)}` : '';
  return { text: `:rotating_light: <@${call.user}> declared \`${incidentId}\` (${severity})${shown}` };
}

function describe(incident: IncidentState, deps: SlackDeps): string {
  const state = displayState(incident, deps.display ?? WITHHOLD_FREE_TEXT);
  const current = state.steps.find((s) => ['awaiting-approval', 'running'].includes(s.status));
  return [
    `*${safe(state.title || state.id)}* \`${safe(state.id)}\``,
    `${state.status} · ${state.severity} · runbook ${state.runbook ? safe(state.runbook.id) : '—'} · ${state.alertCount} alert(s)`,
    current ? `current step: ${safe(current.id)} (${current.status})` : undefined,
    ...state.steps.map((s) => `• ${safe(s.id)}: ${s.status}`),
    `<${workflowUrl(deps.link, state.id)}|Temporal UI>`,
  ]
    .filter((line): line is string => line !== undefined)
    .join('\n');
}

async function status(deps: SlackDeps, _call: CommandInvocation, args: string): Promise<Reply> {
  if (!args) return list(deps);
  const state = await deps.client.workflow.getHandle(incidentIdFromUser(args.split(/\s+/)[0]!)).query(stateQuery);
  return { text: describe(state, deps) };
}

async function list(deps: SlackDeps): Promise<Reply> {
  const lines = (await listIncidents(deps.client, { limit: 50 })).map(
    (i) => `• \`${safe(i.id)}\` ${i.status ?? '—'} · ${i.severity ?? '—'} · ${safe(i.runbook ?? '—')}`,
  );
  return { text: lines.length > 0 ? `*Open incidents*\n${lines.join('\n')}` : 'No open incidents.' };
}

async function acknowledge(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const id = args.split(/\s+/)[0];
  if (!id) return { text: `usage: \`${deps.command} ack <id>\`` };
  const workflowId = incidentIdFromUser(id);
  const state = await deps.decider.decide(operatorOf(deps, call), { action: 'acknowledge', workflowId, subject: noSubject() }, (proof) =>
    deps.client.workflow.getHandle(workflowId).executeUpdate(acknowledgeUpdate, { args: [{ proof }] }),
  );
  return { text: `Acknowledged \`${safe(state.id)}\`.` };
}

/** Assign or hand over an incident role: to a mentioned Slack user (as the directory knows them) or to oneself. */
async function role(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const [id, roleName, who, ...words] = args.split(/\s+/);
  const usage = { text: `usage: \`${deps.command} role <id> <role> <@person|me> [reason]\` (roles: ${deps.decider.directory.roles.join(', ')})` };
  if (!id || !roleName || !who) return usage;
  const mentioned = /^<@([A-Z0-9]+)(\|[^>]*)?>$/.exec(who);
  if (!mentioned && who !== 'me') return usage;
  const op = operatorOf(deps, call);
  const person = mentioned ? deps.decider.directory.bySlackUser(mentioned[1]!) : op.person;
  const reason = words.join(' ').trim();
  const state = await assignRole(deps, op, incidentIdFromUser(id), { role: roleName, person, ...(reason ? { reason } : {}) });
  return { text: `${safe(roleName)} of \`${safe(state.id)}\`: ${mentioned ? `<@${mentioned[1]}>` : `<@${call.user}>`}.` };
}

async function resolve(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const [id, ...words] = args.split(/\s+/);
  const reason = words.join(' ').trim();
  if (!id || !reason) return { text: `usage: \`${deps.command} resolve <id> <reason>\`` };
  const workflowId = incidentIdFromUser(id);
  const state = await deps.decider.decide(operatorOf(deps, call), { action: 'resolve', workflowId, subject: noSubject() }, (proof) =>
    deps.client.workflow.getHandle(workflowId).executeUpdate(resolveUpdate, { args: [{ proof, reason }] }),
  );
  // The reason is on the record; echoing what was typed would only show it again.
  return { text: `Resolved \`${safe(state.id)}\`.` };
}

/** Close an incident where nothing was changed: a false positive, or a triage with nothing to do. */
async function closeNoAction(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const [id, ...words] = args.split(/\s+/);
  const reason = words.join(' ').trim();
  if (!id || !reason) return { text: `usage: \`${deps.command} close <id> <reason>\`` };
  const workflowId = incidentIdFromUser(id);
  const state = await deps.decider.decide(operatorOf(deps, call), { action: 'close-no-action', workflowId, subject: noSubject() }, (proof) =>
    deps.client.workflow.getHandle(workflowId).executeUpdate(closeNoActionUpdate, { args: [{ proof, reason }] }),
  );
  return { text: `Closed \`${safe(state.id)}\` as no-action.` };
}

/** Retry or skip the failed step a runbook halted at. */
function stepAction(action: 'retry' | 'skip'): Subcommand {
  return async (deps, call, args) => {
    const [id, stepId, ...words] = args.split(/\s+/);
    const reason = words.join(' ').trim();
    if (!id || !stepId || !reason) return { text: `usage: \`${deps.command} ${action} <id> <step> <reason>\`` };
    const workflowId = incidentIdFromUser(id);
    const state = await deps.decider.decide(operatorOf(deps, call), { action: `step.${action}`, workflowId, subject: stepSubject(stepId) }, (proof) =>
      deps.client.workflow.getHandle(workflowId).executeUpdate(action === 'retry' ? retryStepUpdate : skipStepUpdate, { args: [{ proof, stepId, reason }] }),
    );
    return { text: `${action === 'retry' ? 'Running' : 'Skipping'} ${safe(stepId)} of \`${safe(state.id)}\`.` };
  };
}

/** Open breach-notification clocks, soonest deadline first (the same listing as `tourniquet clocks`). */
async function clocks(deps: SlackDeps): Promise<Reply> {
  const lines = (await listOpenClocks(deps.client)).slice(0, 50).map(
    (c) =>
      `• \`${safe(c.id)}\` ${c.overdue ? '*OVERDUE*' : safe(c.status)}${c.nextDeadline ? ` · next deadline ${safe(c.nextDeadline)}` : ''}`,
  );
  return { text: lines.length > 0 ? `*Open breach-notification clocks*\n${lines.join('\n')}` : 'No breach-notification clocks are open.' };
}
