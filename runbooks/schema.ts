import { DURATION_HINT, DURATION_PATTERN } from '../domain/duration';
import { z } from 'zod';
import { PHASES } from '../domain/runbook';
import { SEVERITIES } from '../domain/severity';

const duration = z
  .string()
  .regex(DURATION_PATTERN, DURATION_HINT);

const identifier = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

export const ApprovalPolicySchema = z
  .object({
    /** optional with a `raci`: its responsible group */
    group: z.string().min(1).optional(),
    approvers: z.number().int().min(1).max(5).default(1),
    timeout: duration.default('15m'),
    escalateTo: z.string().min(1).optional(),
    finalTimeout: duration.default('1h'),
    onTimeout: z.enum(['deny', 'proceed']).default('deny'),
  })
  .strict();

export const StepSchema = z
  .object({
    id: identifier,
    type: z.string().min(1),
    with: z.record(z.string(), z.unknown()).default({}),
    approval: ApprovalPolicySchema.optional(),
    timeout: duration.default('5m'),
    retry: z
      .object({ maximumAttempts: z.number().int().min(1).max(100).default(5), initialInterval: duration.default('1s') })
      .strict()
      .prefault({}),
    continueOnError: z.boolean().default(false),
  })
  .strict();

const EntrySchema = z.union([
  z.object({ parallel: z.array(StepSchema).min(2) }).strict(),
  StepSchema.transform((step) => ({ step })),
]);

export const MatchRuleSchema = z
  .object({
    sources: z.array(z.string().min(1)).min(1).optional(),
    kinds: z.array(z.string().min(1)).min(1).optional(),
    minSeverity: z.enum(SEVERITIES).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const ChecklistItemSchema = z.object({ id: identifier, phase: z.enum(PHASES), text: z.string().trim().min(1).max(500) }).strict();

/** An approver group's name, as approverGroups keys it. */
const groupName = z.string().regex(/^[\w.@:+-]{1,200}$/, 'an approver group (letters, digits, . @ : + -)');

export const RaciSchema = z
  .object({
    responsible: groupName,
    accountable: z.union([groupName, z.object({ role: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a role is lowercase letters, digits and dashes') }).strict()]),
    consulted: z.array(groupName).default([]),
    informed: z.array(groupName).default([]),
  })
  .strict();

export const RunbookSchema = z
  .object({
    id: identifier,
    title: z.string().min(1),
    description: z.string().default(''),
    priority: z.number().int().default(0),
    match: z.array(MatchRuleSchema).default([]),
    phi: z.boolean().default(false),
    autoContainment: z.boolean().default(false),
    escalationGroup: z.string().min(1).optional(),
    /** who answers for the runbook being rehearsed: reminded when a drill is due (a person id or a group) */
    owner: z.string().regex(/^[\w.@:+-]{1,200}$/, 'a person id or group (letters, digits, . @ : + -)').optional(),
    raci: RaciSchema.optional(),
    steps: z.array(EntrySchema).min(1),
    eradicate: z.array(EntrySchema).optional(),
    recover: z.array(EntrySchema).optional(),
    checklist: z.array(ChecklistItemSchema).optional(),
  })
  .strict();
