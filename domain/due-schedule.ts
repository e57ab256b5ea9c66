/**
 * When to remind and when to escalate something with a due date (a follow-up action, a
 * post-incident review): reminders so many days before it is due, then, once it is overdue, one
 * escalation at the due time and one a day after. Pure: the workflow asks with its own time and
 * sleeps until `next`. A reminder whose time passed before the item was created (a follow-up due
 * tomorrow is not reminded "7 days before") is skipped, and a worker that was away sends one
 * reminder or escalation for what it missed, never a burst.
 */
export const DAY_MS = 86_400_000;

export interface DueProgress {
  /** the reminders already sent (or skipped), by days before due */
  reminded: number[];
  /** escalations sent since the item became overdue */
  escalations: number;
}

export type DueAction = { kind: 'remind'; daysBefore: number; at: number } | { kind: 'escalate'; daysOverdue: number; at: number; count: number };

export const noProgress = (): DueProgress => ({ reminded: [], escalations: 0 });

/** The escalation count owed at `now`: the first at the due time, one more per day after. */
function escalationsOwed(dueAt: number, now: number): number {
  return now < dueAt ? 0 : Math.floor((now - dueAt) / DAY_MS) + 1;
}

/**
 * What is due at `now` (at most one action) and when to look again. `since`: when the item was
 * created (or last rescheduled); reminders planned before it are skipped.
 */
export function nextDueAction(
  dueAt: number,
  reminderDays: readonly number[],
  progress: DueProgress,
  since: number,
  now: number,
): { due?: DueAction; next?: number } {
  const pending = [...new Set(reminderDays)]
    .filter((d) => d > 0 && !progress.reminded.includes(d) && dueAt - d * DAY_MS >= since)
    .sort((a, b) => b - a);
  const owed = escalationsOwed(dueAt, now);
  if (owed > progress.escalations) {
    return { due: { kind: 'escalate', daysOverdue: owed - 1, at: dueAt + (owed - 1) * DAY_MS, count: owed }, next: dueAt + owed * DAY_MS };
  }
  const reached = pending.filter((d) => dueAt - d * DAY_MS <= now);
  if (reached.length > 0 && now < dueAt) {
    // The nearest reminder stands for any earlier one missed.
    const daysBefore = reached[reached.length - 1]!;
    return { due: { kind: 'remind', daysBefore, at: dueAt - daysBefore * DAY_MS } };
  }
  const future = pending.filter((d) => dueAt - d * DAY_MS > now).map((d) => dueAt - d * DAY_MS);
  return { next: Math.min(...future, dueAt + progress.escalations * DAY_MS) };
}

/** Marks an action done; a reminder also marks every earlier reminder it stood for. */
export function markDueDone(progress: DueProgress, action: DueAction, reminderDays: readonly number[]): DueProgress {
  if (action.kind === 'escalate') return { ...progress, escalations: Math.max(progress.escalations, action.count) };
  const covered = reminderDays.filter((d) => d >= action.daysBefore);
  return { ...progress, reminded: [...new Set([...progress.reminded, ...covered])] };
}
