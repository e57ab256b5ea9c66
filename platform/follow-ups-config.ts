import { z } from 'zod';
import { SEVERITIES, type Severity } from '../domain/severity';

/** "7,1" from the environment, a list from the file. */
const dayList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => Number(s.trim())) : v),
  z.array(z.number().int().min(1).max(366)),
);

/** Follow-up actions (a review's findings, a drill's gaps): when owners are reminded, who hears of overdue ones. */
export const FollowUpsSchema = z
  .object({
    reminderDays: dayList.default([7, 1]),
    /** told every day a follow-up is overdue; unset: the channel */
    escalationGroup: z.string().min(1).optional(),
  })
  .prefault({});

const DEFAULT_REVIEW_DUE_DAYS: Record<Severity, number> = { critical: 5, high: 10, medium: 20, low: 30, info: 30 };

/** Post-incident reviews: due so many days after the incident resolved, by its severity. */
export const ReviewsSchema = z
  .object({
    dueDays: z
      .object(Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().min(1).max(366).default(DEFAULT_REVIEW_DUE_DAYS[s])])) as Record<Severity, z.ZodDefault<z.ZodNumber>>)
      .prefault({}),
    reminderDays: dayList.default([2]),
    /** told every day a review is overdue; unset: the channel */
    escalationGroup: z.string().min(1).optional(),
  })
  .prefault({});

export type FollowUpsConfig = z.infer<typeof FollowUpsSchema>;
export type ReviewsConfig = z.infer<typeof ReviewsSchema>;

export const FOLLOW_UPS_ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_FOLLOW_UPS_REMINDER_DAYS: 'followUps.reminderDays',
  TOURNIQUET_FOLLOW_UPS_ESCALATION_GROUP: 'followUps.escalationGroup',
  TOURNIQUET_REVIEWS_REMINDER_DAYS: 'reviews.reminderDays',
  TOURNIQUET_REVIEWS_ESCALATION_GROUP: 'reviews.escalationGroup',
};
