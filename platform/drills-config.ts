import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN } from '../domain/duration';

/**
 * The drill cadence: a Temporal Schedule checks every `checkEvery` that each runbook was rehearsed
 * within a year and since it last changed, and tells the runbook's owner and the compliance channel
 * when one is due.
 */
export const DrillsSchema = z
  .object({
    checkEvery: z.string().regex(DURATION_PATTERN, DURATION_HINT).default('7d'),
    /** the Slack channel id told of due drills; unset: `slack.channel` */
    complianceChannel: z.string().min(1).optional(),
  })
  .prefault({});

export type DrillsConfig = z.infer<typeof DrillsSchema>;

export const DRILLS_ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_DRILLS_CHECK_EVERY: 'drills.checkEvery',
  TOURNIQUET_DRILLS_COMPLIANCE_CHANNEL: 'drills.complianceChannel',
};
