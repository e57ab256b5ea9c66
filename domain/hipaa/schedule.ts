/**
 * When the clock speaks: reminders a configured number of days before each deadline, and past a
 * deadline an escalation every day until the notice is recorded. Pure: the workflow passes its
 * own (deterministic) time in and sleeps until the returned `next`.
 */
import { addCalendarDays, atLocalTime } from './calendar';
import type { Obligation } from './obligations';

export const DAY_MS = 86_400_000;
/** Reminders go out at this local hour, when compliance staff are at work. */
export const REMINDER_HOUR = 9;
export const DEFAULT_REMINDER_DAYS = [30, 14, 7, 3, 1];

/** What has been said about one obligation, keyed to the deadline it was said about. */
export interface ObligationProgress {
  /** `<deadline>:<days before>` of reminders sent or passed over */
  reminded: string[];
  /** escalations sent for the current deadline */
  escalation?: { deadline: string; count: number };
}

export type ClockAction =
  | { kind: 'remind'; obligationId: string; daysBefore: number; at: number }
  | { kind: 'escalate'; obligationId: string; at: number; daysOverdue: number };

export function reminderTimes(ob: Obligation, reminderDays: number[], timeZone: string): { daysBefore: number; at: number }[] {
  return [...new Set(reminderDays)]
    .filter((n) => n >= 0)
    .sort((a, b) => b - a)
    .map((daysBefore) => ({ daysBefore, at: atLocalTime(addCalendarDays(ob.deadline, -daysBefore), timeZone, REMINDER_HOUR) }))
    .filter((r) => r.at < ob.dueAt);
}

/**
 * Actions due at `now` for the open obligations, and when the next one falls due. After a gap
 * (a discovery dated in the past, a long outage) only the latest missed reminder or escalation
 * is sent: one message saying where things stand, not a burst of stale ones.
 */
export function dueActions(
  open: Obligation[],
  progress: Record<string, ObligationProgress>,
  reminderDays: number[],
  timeZone: string,
  now: number,
): { due: ClockAction[]; next?: number } {
  const due: ClockAction[] = [];
  let next: number | undefined;
  const later = (t: number) => (next = next === undefined ? t : Math.min(next, t));
  for (const ob of open) {
    const p = progress[ob.id] ?? { reminded: [] };
    if (now < ob.dueAt) {
      const pending = reminderTimes(ob, reminderDays, timeZone).filter((r) => !p.reminded.includes(`${ob.deadline}:${r.daysBefore}`));
      const missed = pending.filter((r) => r.at <= now);
      if (missed.length > 0) {
        const latest = missed[missed.length - 1]!;
        due.push({ kind: 'remind', obligationId: ob.id, daysBefore: latest.daysBefore, at: latest.at });
      }
      const upcoming = pending.find((r) => r.at > now);
      later(upcoming?.at ?? ob.dueAt);
      continue;
    }
    const sent = p.escalation?.deadline === ob.deadline ? p.escalation.count : 0;
    const daysOverdue = Math.floor((now - ob.dueAt) / DAY_MS);
    if (daysOverdue + 1 > sent) due.push({ kind: 'escalate', obligationId: ob.id, at: ob.dueAt + daysOverdue * DAY_MS, daysOverdue });
    later(ob.dueAt + (daysOverdue + 1) * DAY_MS);
  }
  return next === undefined ? { due } : { due, next };
}

/** Marks an action done, and every earlier one it stands for. */
export function markDone(progress: Record<string, ObligationProgress>, action: ClockAction, ob: Obligation, reminderDays: number[], timeZone: string): void {
  const p = (progress[ob.id] ??= { reminded: [] });
  if (action.kind === 'remind') {
    for (const r of reminderTimes(ob, reminderDays, timeZone)) {
      const key = `${ob.deadline}:${r.daysBefore}`;
      if (r.at <= action.at && !p.reminded.includes(key)) p.reminded.push(key);
    }
  } else {
    p.escalation = { deadline: ob.deadline, count: action.daysOverdue + 1 };
  }
}

/** Whole days left before the deadline's day ends: 0 on the last day, negative once it has passed. */
export function daysLeft(ob: Pick<Obligation, 'dueAt'>, now: number): number {
  return Math.floor((ob.dueAt - now) / DAY_MS);
}
