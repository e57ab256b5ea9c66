import type { CalendarDate } from './calendar';

export type ObligationKind =
  | 'individual-notice'
  | 'substitute-notice'
  | 'media-notice'
  | 'hhs-notice'
  | 'hhs-annual-log'
  | 'covered-entity-notice'
  | 'additional';

/** One notice that must be given, to whom, by which calendar day, and under which paragraph. */
export interface Obligation {
  /** stable across recomputation, so a recorded notice stays attached: `individuals`, `media:CA`, `hhs` … */
  id: string;
  kind: ObligationKind;
  notifies: string;
  /** the last calendar day on which the notice is in time */
  deadline: CalendarDate;
  /** epoch ms when that day ends in the entity's time zone */
  dueAt: number;
  rule: string;
  note?: string;
  /** calendar days added by a law-enforcement delay (164.412) */
  delayedDays?: number;
}
