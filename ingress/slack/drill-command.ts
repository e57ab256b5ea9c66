/**
 * `/ir drill <runbook or scenario> [key=value …]`: open an exercise incident; `/ir drill finding
 * <exercise> --owner=<person> --due=<date> <text>`: a finding of a drill, as a follow-up action
 * (ingress/drills.ts). The reply names the follow-up, its owner and date, never the finding's text.
 */
import { safe } from '../../activities/slack/blocks';
import { slackOperator } from '../identity/operator';
import { addDrillFinding, DrillFinding, drillIdFromUser, DrillStart, startDrill, subjectFromPairs } from '../drills';
import type { SlackDeps } from './deps';
import type { CommandInvocation, Reply } from './ir-commands';

export const DRILL_USAGE = 'drill <runbook or scenario> [--sev=<severity>] [principal=… accessKeyId=… kmsKeyId=… ips=a,b] | drill finding <exercise> --owner=<person> --due=<date> <text>';

async function findingCommand(deps: SlackDeps, call: CommandInvocation, words: string[]): Promise<Reply> {
  const [id, ...rest] = words;
  const option = (name: string) => rest.find((w) => w.startsWith(`--${name}=`))?.slice(name.length + 3);
  const text = rest.filter((w) => !/^--(owner|due)=/.test(w)).join(' ');
  const [owner, dueAt] = [option('owner'), option('due')];
  const parsed = DrillFinding.safeParse({ text, owner, dueAt });
  if (!id || !owner || !dueAt || !text || !parsed.success) return { text: `usage: \`${deps.command} drill finding <exercise> --owner=<person> --due=<date> <text>\`` };
  const got = await addDrillFinding(deps, slackOperator(deps.decider.directory, call.team, call.user), drillIdFromUser(id), parsed.data);
  return { text: `:memo: EXERCISE: finding of \`${safe(got.drill)}\` is follow-up \`${safe(got.followUpId)}\` (owner ${safe(got.owner)}, due ${safe(got.dueAt)})${got.created ? '' : ', already recorded'}.` };
}

export async function drillCommand(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const words = args.split(/\s+/).filter(Boolean);
  const [runbook, ...rest] = words;
  if (runbook === 'finding') return findingCommand(deps, call, rest);
  if (!runbook) return { text: `usage: \`${deps.command} ${DRILL_USAGE}\`` };
  const sev = rest.find((w) => w.startsWith('--sev='));
  let subject: Record<string, unknown>;
  try {
    subject = subjectFromPairs(rest.filter((w) => w !== sev));
  } catch (err) {
    return { text: `:no_entry: ${safe((err as Error).message)}` };
  }
  const parsed = DrillStart.safeParse({ runbook, subject, ...(sev ? { severity: sev.slice('--sev='.length) } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { text: `:no_entry: ${safe(`${issue.path.join('.') || 'drill'}: ${issue.message}`)}` };
  }
  const started = await startDrill(deps, slackOperator(deps.decider.directory, call.team, call.user), parsed.data);
  const what = started.scenario ? `scenario *${safe(started.scenario)}* (runbook *${safe(started.runbook)}*, with its timed injects)` : `*${safe(started.runbook)}*`;
  return { text: `:construction: EXERCISE: <@${call.user}> started a drill of ${what}: \`${started.incidentId}\`. Nothing is changed in AWS.` };
}
