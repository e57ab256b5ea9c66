/**
 * 45 CFR 164.412 — law enforcement delay. If an official states that a notification, notice or
 * posting would impede a criminal investigation or damage national security:
 *  (a) a written statement that specifies the time: delay for the period specified;
 *  (b) an oral statement: document it (with the official's identity) and delay temporarily, no
 *      longer than 30 days from the date of the oral statement, unless a written statement as in
 *      (a) is submitted during that time.
 * The notification periods of the subpart do not run while a delay is in force, so a deadline
 * moves later by the days of delay that fall between discovery and that deadline.
 */
import { addCalendarDays, calendarDaysBetween, isCalendarDate, laterOf, type CalendarDate } from './calendar';
import type { LawEnforcementStatement } from './facts';

/** 164.412(b): an oral statement delays at most 30 days from its date. */
export const ORAL_DELAY_DAYS = 30;

/** One span during which notice may not be given: from the statement's day to the day it ends. */
export interface DelaySpan {
  from: CalendarDate;
  until: CalendarDate;
  basis: string;
}

/** A statement's shape as 164.412 requires it; undefined when acceptable, else why not. */
export function rejectStatement(s: LawEnforcementStatement): string | undefined {
  if (!s.official?.trim()) return '164.412(b): the identity of the official must be documented';
  if (!s.agency?.trim()) return 'the agency of the official is required';
  if (!s.reference?.trim()) return 'a reference to the statement (or its documentation) is required';
  if (!isCalendarDate(s.statedOn)) return `statedOn must be a real calendar date (YYYY-MM-DD), not ${JSON.stringify(s.statedOn)}`;
  if (s.until !== undefined && !isCalendarDate(s.until)) return `until must be a real calendar date (YYYY-MM-DD), not ${JSON.stringify(s.until)}`;
  if (s.form === 'written' && !s.until) return '164.412(a): a written statement must specify the time of the delay';
  if (s.form === 'written' && s.until! < s.statedOn) return 'the delay ends before the statement was made';
  if (s.form === 'oral' && s.until) return '164.412(b): an oral statement delays at most 30 days; record a written statement for longer';
  return undefined;
}

/** 164.412(b): an oral statement ends after 30 days, or when a written statement made within them takes over. */
function span(s: LawEnforcementStatement, all: LawEnforcementStatement[]): DelaySpan {
  if (s.form === 'written') return { from: s.statedOn, until: s.until!, basis: `164.412(a) written statement of ${s.statedOn}` };
  const limit = addCalendarDays(s.statedOn, ORAL_DELAY_DAYS);
  const followUp = all.find((w) => w.form === 'written' && w.statedOn >= s.statedOn && w.statedOn <= limit);
  if (followUp) return { from: s.statedOn, until: laterOf(followUp.until!, followUp.statedOn), basis: `164.412(a) written statement of ${followUp.statedOn} followed the oral one of ${s.statedOn}` };
  return { from: s.statedOn, until: limit, basis: `164.412(b) oral statement of ${s.statedOn}: at most ${ORAL_DELAY_DAYS} days` };
}

/** The spans of delay, merged where they overlap, in order. */
export function delaySpans(statements: LawEnforcementStatement[]): DelaySpan[] {
  const spans = statements.map((s) => span(s, statements)).sort((a, b) => a.from.localeCompare(b.from));
  const merged: DelaySpan[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.from <= last.until) {
      if (s.until > last.until) Object.assign(last, { until: s.until, basis: s.basis });
    } else merged.push({ ...s });
  }
  return merged;
}

/**
 * A deadline after tolling: the period does not run while a delay is in force, so each span
 * that begins on or before the (already moved) deadline pushes it later by its days within the
 * period (from `runsFrom`: discovery, or the new year for the annual log). A statement made after
 * the deadline passed cannot revive it.
 */
export function tolledDeadline(spans: DelaySpan[], runsFrom: CalendarDate, deadline: CalendarDate): CalendarDate {
  let moved = deadline;
  for (const s of spans) {
    if (s.from > moved) break;
    moved = addCalendarDays(moved, Math.max(0, calendarDaysBetween(laterOf(s.from, runsFrom), s.until)));
  }
  return moved;
}
