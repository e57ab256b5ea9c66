/**
 * Durations as runbooks, settings and people write them: `500ms`, `30s`, `15m`, `2h`, `7d`. One
 * pattern and one parser for all of them (runbook schema, configuration, the operator API, the
 * playbooks and their timers).
 */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

export const DURATION_HINT = 'a duration such as 30s, 15m, 2h or 7d';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined for anything that is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}
