import type { Alert } from '../domain/alert';
import type { MatchRule, PinnedRunbook } from '../domain/runbook';
import { atLeast } from '../domain/severity';

/** The runbook used when nothing else matches: an alert is never dropped. */
export const TRIAGE_RUNBOOK_ID = 'triage';

function glob(pattern: string, value: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i').test(value);
}

export function ruleMatches(rule: MatchRule, alert: Alert): boolean {
  if (rule.sources && !rule.sources.includes(alert.source)) return false;
  if (rule.kinds && !rule.kinds.some((k) => glob(k, alert.kind))) return false;
  if (rule.minSeverity && !atLeast(alert.severity, rule.minSeverity)) return false;
  for (const [name, want] of Object.entries(rule.labels ?? {})) {
    const have = alert.labels[name];
    if (have === undefined || (want !== '*' && !glob(want, have))) return false;
  }
  return true;
}

/** Highest priority matching runbook, then id order; the triage runbook if none matches. */
export function selectRunbook(runbooks: PinnedRunbook[], alert: Alert): PinnedRunbook {
  const matching = runbooks
    .filter((p) => p.runbook.id !== TRIAGE_RUNBOOK_ID && p.runbook.match.some((rule) => ruleMatches(rule, alert)))
    .sort((a, b) => b.runbook.priority - a.runbook.priority || a.runbook.id.localeCompare(b.runbook.id));
  const chosen = matching[0] ?? runbooks.find((p) => p.runbook.id === TRIAGE_RUNBOOK_ID);
  if (!chosen) throw new Error(`no runbook matches and no "${TRIAGE_RUNBOOK_ID}" runbook is installed`);
  return chosen;
}
