/**
 * What is known about a possible breach, and what the entity has been told by configuration:
 * the inputs from which every notification obligation follows (45 CFR 164.400–414).
 */
import type { CalendarDate } from './calendar';

/** 45 CFR 164.402: a covered entity notifies individuals; a business associate notifies the covered entity. */
export type EntityRole = 'covered-entity' | 'business-associate';
export const ENTITY_ROLES: readonly EntityRole[] = ['covered-entity', 'business-associate'];

/** A clock of state law or contract that configuration adds beside the federal ones. */
export interface AdditionalClock {
  name: string;
  /** calendar days after discovery */
  days: number;
  /** who is told, e.g. "California residents" or "Texas attorney general" */
  notifies: string;
  /** jurisdictions whose residents trigger it; empty: every breach */
  states: string[];
  /** at least this many residents of those jurisdictions (together) */
  minAffected: number;
  roles: EntityRole[];
}

/** 45 CFR 164.412: a law-enforcement statement that notice would impede an investigation. */
export interface LawEnforcementStatement {
  /** (a) written and specifying the time, or (b) oral */
  form: 'written' | 'oral';
  statedOn: CalendarDate;
  /** (a): the end of the period the written statement specifies */
  until?: CalendarDate;
  /** (b) requires the identity of the official to be documented */
  official: string;
  agency: string;
  /** where the statement (or the note of the oral one) is kept */
  reference: string;
}

/** Settings of the entity that the clocks run for. */
export interface ClockSettings {
  role: EntityRole;
  /** the time zone whose calendar days count */
  timeZone: string;
  /** 164.410(b) allows a business associate agreement to set a shorter deadline */
  baAgreementDays?: number;
  /** days before each deadline when people are reminded */
  reminderDays: number[];
  additional: AdditionalClock[];
}

export interface BreachFacts {
  /** ISO date or date-time of discovery (164.404(a)(2)) */
  discoveredAt: string;
  /** individuals affected; null while not yet known */
  affected: number | null;
  /** residents affected per State or jurisdiction (two-letter codes, upper case) */
  byState: Record<string, number>;
  /** individuals whose contact information is insufficient or out of date (164.404(d)(2)) */
  insufficientContact: number;
  lawEnforcement: LawEnforcementStatement[];
}
