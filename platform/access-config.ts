/**
 * Break-glass access settings (`access:`): the profiles people may ask for, each person's AWS
 * principals, and how often open grants are checked and AWS reconciled with them.
 */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN, parseDurationMs } from '../domain/duration';

const duration = z.string().regex(DURATION_PATTERN, DURATION_HINT);

const TargetSchema = z.discriminatedUnion('type', [
  /** a group kept for break-glass only: any member without an open grant is removed by reconciliation */
  z.object({ type: z.literal('iamGroup'), group: z.string().min(1) }).strict(),
  /** a role whose trust policy gains one statement per holder (Sid TourniquetBreakGlass…) */
  z.object({ type: z.literal('roleTrust'), role: z.string().min(1) }).strict(),
  /** an IAM Identity Center account assignment of a permission set to the holder's user */
  z
    .object({
      type: z.literal('permissionSet'),
      instanceArn: z.string().startsWith('arn:'),
      permissionSetArn: z.string().startsWith('arn:'),
      accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
    })
    .strict(),
]);

const ProfileSchema = z
  .object({
    target: TargetSchema,
    maxDuration: duration,
    approverGroup: z.string().min(1),
    /** distinct approvers besides the requester */
    approvers: z.coerce.number().int().min(1).max(5).default(1),
    needsOpenIncident: z.boolean().default(true),
    /** who may hold it: default anyone `authority.access.request` allows */
    holderGroup: z.string().min(1).optional(),
  })
  .strict()
    // Short-lived by design, and a grant's history (a check every checkEvery) stays far from Temporal's limits.
  .refine((p) => parseDurationMs(p.maxDuration)! <= 86_400_000, { message: 'at most 1d: break-glass access is short-lived', path: ['maxDuration'] });

export const AccessSchema = z
  .object({
    profiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'), ProfileSchema).default({}),
    /** person id → their principals: `iamUser` (groups), `principalArn` (role trust), `ssoUserId` (Identity Center) */
    principals: z
      .record(
        z.string(),
        z.object({ iamUser: z.string().min(1).optional(), principalArn: z.string().startsWith('arn:').optional(), ssoUserId: z.string().min(1).optional() }).strict(),
      )
      .default({}),
    /** an open grant checks its incident and its holder this often (resolution and offboarding revoke) */
    checkEvery: duration.default('1m'),
    /** a request nobody decides on lapses after this */
    approvalTimeout: duration.default('30m'),
    /** the Temporal Schedule comparing AWS with the open grants */
    reconcileEvery: duration.default('15m'),
  })
  .prefault({});

export type AccessSettings = z.infer<typeof AccessSchema>;

export const ACCESS_ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_ACCESS_CHECK_EVERY: 'access.checkEvery',
  TOURNIQUET_ACCESS_RECONCILE_EVERY: 'access.reconcileEvery',
};
