import { z } from 'zod';
import { DEFAULT_REMINDER_DAYS, ENTITY_ROLES, isTimeZone, type EntityRole } from '../domain/hipaa';

/** "30,14,7" from the environment, a list from the file. */
const dayList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => Number(s.trim())) : v),
  z.array(z.number().int().min(0).max(366)).min(1),
);

/**
 * Breach-notification clocks (45 CFR 164.400–414): whose clocks they are, in which time zone
 * calendar days count, when to remind, whom to escalate to, and clocks beyond the federal ones
 * (state laws, contracts).
 */
export const ClocksSchema = z
  .object({
    role: z.enum(ENTITY_ROLES as [EntityRole, ...EntityRole[]]).default('covered-entity'),
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as America/New_York').default('UTC'),
    /** 164.410(b): a business associate agreement may require notice sooner than 60 days */
    baAgreementDays: z.coerce.number().int().min(1).max(60).optional(),
    reminderDays: dayList.default(DEFAULT_REMINDER_DAYS),
    /** approver group told when a deadline has passed; unset: the channel */
    escalationGroup: z.string().min(1).optional(),
    additional: z
      .array(
        z.object({
          name: z.string().regex(/^[a-z0-9-]+$/, 'lowercase, digits, dashes'),
          days: z.number().int().min(1).max(366),
          notifies: z.string().min(1),
          states: z.array(z.string().regex(/^[A-Z]{2}$/, 'two-letter upper-case codes')).default([]),
          minAffected: z.number().int().min(1).default(1),
          roles: z.array(z.enum(ENTITY_ROLES as [EntityRole, ...EntityRole[]])).min(1).default(['covered-entity']),
        }),
      )
      .default([]),
  })
  .prefault({});

export const CLOCKS_ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_CLOCKS_ROLE: 'clocks.role',
  TOURNIQUET_CLOCKS_TIME_ZONE: 'clocks.timeZone',
  TOURNIQUET_CLOCKS_BA_AGREEMENT_DAYS: 'clocks.baAgreementDays',
  TOURNIQUET_CLOCKS_REMINDER_DAYS: 'clocks.reminderDays',
  TOURNIQUET_CLOCKS_ESCALATION_GROUP: 'clocks.escalationGroup',
};
