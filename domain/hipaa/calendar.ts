/**
 * Calendar-day arithmetic for breach deadlines. The rule counts calendar days (45 CFR 164.404(b):
 * "60 calendar days after discovery"), so a deadline is a date, not a duration: the discovery
 * instant is first turned into the calendar date it falls on in the entity's time zone, days are
 * added to that date, and the deadline passes when its day ends in that same time zone.
 */
import { TZDate } from '@date-fns/tz';
import { UTCDate } from '@date-fns/utc';
// One file each, not the whole library: the CLI and every process load this at start.
import { addDays } from 'date-fns/addDays';
import { differenceInCalendarDays } from 'date-fns/differenceInCalendarDays';
import { formatISO } from 'date-fns/formatISO';
import { isValid } from 'date-fns/isValid';

/** `YYYY-MM-DD`: a day on the calendar, without a time zone of its own. */
export type CalendarDate = string;

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Date arithmetic runs on UTC dates so no daylight-saving shift can move a day. */
function utcDate(date: CalendarDate): UTCDate {
  const m = DATE_ONLY.exec(date);
  if (!m) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${date}`);
  const d = new UTCDate(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (!isValid(d) || formatISO(d, { representation: 'date' }) !== date) throw new RangeError(`no such day: ${date}`);
  return d;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The calendar date a discovery happened on, in `timeZone`. A bare date is that date; a local
 * date-time (no offset) is read in `timeZone`; an instant (Z or an offset) is converted to it.
 */
export function calendarDateOf(value: string, timeZone: string): CalendarDate {
  if (DATE_ONLY.test(value)) return formatISO(utcDate(value), { representation: 'date' });
  const local = LOCAL_DATE_TIME.exec(value);
  if (local) return formatISO(utcDate(`${local[1]}-${local[2]}-${local[3]}`), { representation: 'date' });
  if (!WITH_OFFSET.test(value)) throw new RangeError(`not an ISO date or date-time: ${value}`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO date or date-time: ${value}`);
  const zoned = new TZDate(ms, timeZone);
  return formatISO(new UTCDate(zoned.getFullYear(), zoned.getMonth(), zoned.getDate()), { representation: 'date' });
}

/** The instant a discovery happened, for timers; a bare date counts from the start of its day. */
export function instantOf(value: string, timeZone: string): number {
  if (WITH_OFFSET.test(value)) return Date.parse(value);
  const date = calendarDateOf(value, timeZone);
  const local = LOCAL_DATE_TIME.exec(value);
  const [h, mi, s] = local ? value.slice(11).split(':').map(Number) : [0, 0, 0];
  return atLocalTime(date, timeZone, h ?? 0, mi ?? 0, Math.floor(s ?? 0));
}

/** A real day in YYYY-MM-DD form (not 2026-02-30). */
export function isCalendarDate(value: unknown): value is CalendarDate {
  try {
    return typeof value === 'string' && !!utcDate(value);
  } catch {
    return false;
  }
}

export function addCalendarDays(date: CalendarDate, days: number): CalendarDate {
  return formatISO(addDays(utcDate(date), days), { representation: 'date' });
}

/** `to` minus `from`, in calendar days. */
export function calendarDaysBetween(from: CalendarDate, to: CalendarDate): number {
  return differenceInCalendarDays(utcDate(to), utcDate(from));
}

export function laterOf(a: CalendarDate, b: CalendarDate): CalendarDate {
  return a >= b ? a : b;
}

export function yearOf(date: CalendarDate): number {
  return utcDate(date).getUTCFullYear();
}

/** Epoch milliseconds of `hour:minute:second` on `date` in `timeZone`. */
export function atLocalTime(date: CalendarDate, timeZone: string, hour: number, minute = 0, second = 0): number {
  const d = utcDate(date);
  return TZDate.tz(timeZone, d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute, second).getTime();
}

/** The instant `date` ends in `timeZone` (the next day's midnight there): a deadline passes then. */
export function endOfCalendarDay(date: CalendarDate, timeZone: string): number {
  return atLocalTime(addCalendarDays(date, 1), timeZone, 0);
}
