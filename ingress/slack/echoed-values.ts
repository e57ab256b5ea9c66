import { z } from 'zod';
import type { ApprovalTarget, JustificationContext } from '../../activities/slack/blocks';

/**
 * What Slack echoes back to us — a button's value, a modal's private metadata — is input like any
 * other: parsed with a schema, and anything that is not what we built is ignored.
 */
const ApprovalTargetSchema = z.object({ incidentId: z.string().min(1), stepId: z.string().min(1), planHash: z.string().min(1) });
const JustificationContextSchema = ApprovalTargetSchema.extend({ decision: z.enum(['approve', 'deny']), channel: z.string().optional() });

function parsed<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(text ?? ''));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

export const approvalTargetOf = (value: string | undefined): ApprovalTarget | undefined => parsed(ApprovalTargetSchema, value);
export const justificationContextOf = (metadata: string | undefined): JustificationContext | undefined => parsed(JustificationContextSchema, metadata);
