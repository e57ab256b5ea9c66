import type { z } from 'zod';
import { editDistance } from '../domain/edit-distance';
import { ApprovalPolicySchema, MatchRuleSchema, RaciSchema, RunbookSchema, StepSchema } from './schema';

/** One schema problem, pointing at the exact field a runbook author has to change. */
export interface SchemaIssue {
  path: (string | number)[];
  message: string;
}

/** Every field name the format knows: an unknown one is usually a typo of one of these. */
const KNOWN_FIELDS = [
  ...Object.keys(RunbookSchema.shape),
  ...Object.keys(StepSchema.shape),
  ...Object.keys(ApprovalPolicySchema.shape),
  ...Object.keys(MatchRuleSchema.shape),
  ...Object.keys(RaciSchema.shape),
  'parallel',
  'maximumAttempts',
  'initialInterval',
];

function suggestion(key: string): string {
  const close = KNOWN_FIELDS.filter((known) => known !== key && editDistance(known.toLowerCase(), key.toLowerCase()) <= 2);
  return close.length > 0 ? ` (did you mean "${close[0]}"?)` : '';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * Turn zod's issues into issues about fields. zod reports a bad runbook entry as one "Invalid input"
 * on the whole entry (it cannot tell a step from a parallel group), and an unknown key on the object
 * that holds it; authors need the field itself, with its own line.
 */
export function schemaIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix: PropertyKey[] = []): SchemaIssue[] {
  return issues.flatMap((issue): SchemaIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Runbook entries are the only union: a group has `parallel`, anything else is a step.
      const value = valueAt(input, path);
      const isGroup = typeof value === 'object' && value !== null && 'parallel' in value;
      const branch = isGroup ? issue.errors[0]! : issue.errors[issue.errors.length - 1]!;
      return schemaIssues(branch, input, path);
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key].map(plainKey), message: `unknown field "${key}"${suggestion(key)}` }));
    }
    return [{ path: path.map(plainKey), message: issue.message }];
  });
}

function plainKey(key: PropertyKey): string | number {
  return typeof key === 'symbol' ? String(key) : key;
}
