/** `/ir drill <runbook or scenario> [key=value …]`: open an exercise incident (ingress/drills.ts). */
import { safe } from '../../activities/slack/blocks';
import { slackOperator } from '../identity/operator';
import { DrillStart, startDrill, subjectFromPairs } from '../drills';
import type { SlackDeps } from './deps';
import type { CommandInvocation, Reply } from './ir-commands';

export const DRILL_USAGE = 'drill <runbook or scenario> [--sev=<severity>] [principal=… accessKeyId=… kmsKeyId=… ips=a,b]';

export async function drillCommand(deps: SlackDeps, call: CommandInvocation, args: string): Promise<Reply> {
  const words = args.split(/\s+/).filter(Boolean);
  const [runbook, ...rest] = words;
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
