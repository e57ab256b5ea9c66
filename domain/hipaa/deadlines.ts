/**
 * The HIPAA Breach Notification Rule (45 CFR 164.400–414) as a pure function: facts in,
 * obligations with calendar-day deadlines out. Each rule cites the paragraph it encodes.
 */
import { addCalendarDays, calendarDateOf, calendarDaysBetween, endOfCalendarDay, yearOf, type CalendarDate } from './calendar';
import type { AdditionalClock, BreachFacts, ClockSettings } from './facts';
import { delaySpans, tolledDeadline } from './law-enforcement';
import type { Obligation, ObligationKind } from './obligations';

/** 164.404(b), 164.406(b), 164.410(b): "in no case later than 60 calendar days after discovery". */
export const NOTIFICATION_DAYS = 60;
/** 164.406(a): media notice when *more than* 500 residents of a State or jurisdiction are affected. */
export const MEDIA_THRESHOLD = 500;
/** 164.408(b)/(c): 500 *or more* individuals → the Secretary contemporaneously; fewer → the annual log. */
export const HHS_IMMEDIATE_THRESHOLD = 500;
/** 164.404(d)(2)(ii): substitute notice for 10 or more individuals takes the public form. */
export const SUBSTITUTE_PUBLIC_THRESHOLD = 10;

interface Draft {
  id: string;
  kind: ObligationKind;
  notifies: string;
  deadline: CalendarDate;
  rule: string;
  note?: string;
  /** 164.412 covers notices "required under this subpart"; state-law clocks follow their own law */
  federal: boolean;
  /** the day the period starts to run, when not discovery: a delay before it moves nothing */
  runsFrom?: CalendarDate;
}

function individuals(discovered: CalendarDate): Draft {
  return {
    id: 'individuals',
    kind: 'individual-notice',
    notifies: 'each affected individual',
    deadline: addCalendarDays(discovered, NOTIFICATION_DAYS),
    // 164.404(b): without unreasonable delay; the 60th day is the outer limit, not a target.
    rule: '45 CFR 164.404(b)',
    note: 'without unreasonable delay; written notice by first-class mail or e-mail (164.404(d)(1))',
    federal: true,
  };
}

/** 164.404(d)(2): substitute notice for those whose contact information is insufficient. */
function substitute(discovered: CalendarDate, count: number): Draft | undefined {
  if (count <= 0) return undefined;
  const publicForm = count >= SUBSTITUTE_PUBLIC_THRESHOLD;
  return {
    id: 'substitute-notice',
    kind: 'substitute-notice',
    notifies: publicForm ? 'the public (web posting or major media) for individuals without contact' : 'individuals without current contact information',
    deadline: addCalendarDays(discovered, NOTIFICATION_DAYS),
    rule: publicForm ? '45 CFR 164.404(d)(2)(ii)' : '45 CFR 164.404(d)(2)(i)',
    note: publicForm
      ? `${count} individuals: conspicuous home-page posting for 90 days or major print/broadcast media, and a toll-free number active for at least 90 days`
      : `${count} individual(s): an alternative form of written notice, telephone, or other means`,
    federal: true,
  };
}

/** 164.406(a)-(b): prominent media outlets serving each State with more than 500 affected residents. */
function media(discovered: CalendarDate, byState: Record<string, number>): Draft[] {
  return Object.entries(byState)
    .filter(([, n]) => n > MEDIA_THRESHOLD)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([state, n]) => ({
      id: `media:${state}`,
      kind: 'media-notice' as const,
      notifies: `prominent media outlets serving ${state}`,
      deadline: addCalendarDays(discovered, NOTIFICATION_DAYS),
      rule: '45 CFR 164.406(a)-(b)',
      note: `${n} residents of ${state}`,
      federal: true,
    }));
}

/** The affected count, but never fewer than the residents counted per State: the larger figure holds. */
function affectedAtLeast(facts: BreachFacts): number | null {
  if (facts.affected === null) return null;
  return Math.max(facts.affected, Object.values(facts.byState ?? {}).reduce((sum, n) => sum + n, 0));
}

/**
 * 164.408(b): 500 or more → contemporaneously with the individual notice (so by its deadline).
 * 164.408(c): fewer than 500 → the log, within 60 days after the end of the calendar year of
 * discovery. While the count is unknown, the earlier deadline holds.
 */
function secretary(discovered: CalendarDate, affected: number | null): Draft {
  if (affected !== null && affected < HHS_IMMEDIATE_THRESHOLD) {
    return {
      id: 'hhs',
      kind: 'hhs-annual-log',
      notifies: 'the Secretary of HHS (annual log of breaches under 500)',
      deadline: addCalendarDays(`${yearOf(discovered)}-12-31`, NOTIFICATION_DAYS),
      runsFrom: `${yearOf(discovered) + 1}-01-01`,
      rule: '45 CFR 164.408(c)',
      note: `${affected} individuals: submit with the breaches discovered in ${yearOf(discovered)}`,
      federal: true,
    };
  }
  return {
    id: 'hhs',
    kind: 'hhs-notice',
    notifies: 'the Secretary of HHS',
    deadline: addCalendarDays(discovered, NOTIFICATION_DAYS),
    rule: '45 CFR 164.408(b)',
    note: affected === null ? 'affected count not yet known: the 500-or-more deadline holds until it is' : 'contemporaneously with the individual notice',
    federal: true,
  };
}

/** 164.410(b): no later than 60 days; a business associate agreement may set a shorter time. */
function coveredEntity(discovered: CalendarDate, agreementDays: number | undefined): Draft {
  const days = Math.min(NOTIFICATION_DAYS, agreementDays ?? NOTIFICATION_DAYS);
  return {
    id: 'covered-entity',
    kind: 'covered-entity-notice',
    notifies: 'the covered entity',
    deadline: addCalendarDays(discovered, days),
    rule: '45 CFR 164.410(b)',
    note: days < NOTIFICATION_DAYS ? `${days} days under the business associate agreement` : 'with the identity of each individual (164.410(c))',
    federal: true,
  };
}

function additional(discovered: CalendarDate, facts: BreachFacts, clock: AdditionalClock): Draft | undefined {
  const residents = clock.states.length === 0 ? (facts.affected ?? 0) : clock.states.reduce((sum, s) => sum + (facts.byState[s] ?? 0), 0);
  const applies = clock.states.length === 0 ? facts.affected === null || residents >= clock.minAffected : residents >= clock.minAffected;
  if (!applies) return undefined;
  return {
    id: `additional:${clock.name}`,
    kind: 'additional',
    notifies: clock.notifies,
    deadline: addCalendarDays(discovered, clock.days),
    rule: `configured: ${clock.name}`,
    note: clock.states.length > 0 ? `${residents} residents of ${clock.states.join(', ')}` : undefined,
    federal: false,
  };
}

/** Every obligation that follows from the facts, soonest deadline first. */
export function obligationsFor(facts: BreachFacts, settings: ClockSettings): Obligation[] {
  const discovered = calendarDateOf(facts.discoveredAt, settings.timeZone);
  const drafts: (Draft | undefined)[] =
    settings.role === 'business-associate'
      ? // 164.410(a)(1): a business associate notifies the covered entity, which notifies the rest.
        [coveredEntity(discovered, settings.baAgreementDays)]
      : [
          individuals(discovered),
          substitute(discovered, facts.insufficientContact),
          ...media(discovered, facts.byState),
          secretary(discovered, affectedAtLeast(facts)),
        ];
  drafts.push(...settings.additional.filter((c) => c.roles.includes(settings.role)).map((c) => additional(discovered, facts, c)));

  const spans = delaySpans(facts.lawEnforcement);
  return drafts
    .filter((d): d is Draft => d !== undefined)
    .map(({ federal, runsFrom, ...d }) => {
      const deadline = federal ? tolledDeadline(spans, runsFrom ?? discovered, d.deadline) : d.deadline;
      const moved = calendarDaysBetween(d.deadline, deadline);
      const obligation: Obligation = { ...d, deadline, dueAt: endOfCalendarDay(deadline, settings.timeZone) };
      if (moved > 0) obligation.delayedDays = moved;
      if (obligation.note === undefined) delete obligation.note;
      return obligation;
    })
    .sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id));
}

/** The calendar date of discovery in the entity's time zone (164.404(a)(2)). */
export function discoveryDate(facts: Pick<BreachFacts, 'discoveredAt'>, settings: Pick<ClockSettings, 'timeZone'>): CalendarDate {
  return calendarDateOf(facts.discoveredAt, settings.timeZone);
}
