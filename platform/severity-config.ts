import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN } from '../domain/duration';
import { SEVERITIES, type Severity } from '../domain/severity';
import { DEFAULT_ALERT_LEVELS, DEFAULT_LEVELS, policyProblems, type SeverityPolicy } from '../domain/severity-policy';
import { secureUrl } from './secure-url';

const duration = z.string().regex(DURATION_PATTERN, DURATION_HINT);

/** One level: its targets from the incident opening, its review due date, and whether a miss pages. */
const LevelSchema = z.strictObject({
  acknowledge: duration.optional(),
  contain: duration.optional(),
  resolve: duration.optional(),
  /** after resolution; unset: `reviews.dueDays` by alert severity */
  review: duration.optional(),
  page: z.boolean().default(false),
  escalationGroup: z.string().min(1).optional(),
});

const levelName = z.string().regex(/^[A-Za-z][\w-]*$/, 'a level name such as SEV1');

/**
 * The severity policy (domain/severity-policy.ts): levels, the alert severities and runbooks that
 * map to them, and PagerDuty for the levels that page. Every name a mapping gives must be a level.
 */
export const SeveritySchema = z
  .object({
    levels: z
      .record(levelName, LevelSchema)
      .default(Object.fromEntries(Object.entries(DEFAULT_LEVELS).map(([id, l]) => [id, { ...l.targets, page: l.page }])) as Record<string, z.infer<typeof LevelSchema>>),
    alerts: z
      .strictObject(Object.fromEntries(SEVERITIES.map((s) => [s, levelName.default(DEFAULT_ALERT_LEVELS[s])])) as Record<Severity, z.ZodDefault<z.ZodString>>)
      .prefault({}),
    runbooks: z.record(z.string().min(1), levelName).default({}),
    /** PagerDuty Events API v2: the integration's routing key is a secret, read by the paging activity only */
    pagerDuty: z
      .object({
        /** only changed to point at a local stand-in */
        url: secureUrl.default('https://events.pagerduty.com'),
        routingKey: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .prefault({})
  .superRefine((severity, ctx) => {
    const levels = Object.keys(severity.levels).map((id) => ({ id, targets: {}, page: false }));
    for (const p of policyProblems({ levels, alerts: severity.alerts, runbooks: severity.runbooks })) {
      ctx.addIssue({ code: 'custom', path: p.path.split('.'), message: p.message });
    }
  });

export type SeverityConfig = z.infer<typeof SeveritySchema>;

/** The policy the incident workflow reads: everything but the routing key. */
export function severityPolicyFrom(severity: SeverityConfig): SeverityPolicy {
  return {
    levels: Object.entries(severity.levels).map(([id, l]) => ({
      id,
      targets: {
        ...(l.acknowledge !== undefined ? { acknowledge: l.acknowledge } : {}),
        ...(l.contain !== undefined ? { contain: l.contain } : {}),
        ...(l.resolve !== undefined ? { resolve: l.resolve } : {}),
      },
      ...(l.review !== undefined ? { review: l.review } : {}),
      page: l.page,
      ...(l.escalationGroup !== undefined ? { escalationGroup: l.escalationGroup } : {}),
    })),
    alerts: severity.alerts,
    runbooks: severity.runbooks,
    paging: severity.pagerDuty.routingKey !== undefined,
  };
}

export const SEVERITY_ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_PAGERDUTY_URL: 'severity.pagerDuty.url',
  TOURNIQUET_PAGERDUTY_ROUTING_KEY: 'severity.pagerDuty.routingKey',
};
