import type { z } from 'zod';
import { editDistance } from '../domain/edit-distance';

type Schema = z.core.$ZodType;

/** The object schema under optional / default / prefault / nullable / pipe wrappers, if any. */
function objectShape(schema: Schema): Record<string, Schema> | undefined {
  let node: Schema | undefined = schema;
  for (let depth = 0; node && depth < 10; depth++) {
    const def = node._zod.def as { type: string; shape?: Record<string, Schema>; innerType?: Schema; in?: Schema };
    if (def.type === 'object') return def.shape;
    node = def.innerType ?? def.in;
  }
  return undefined;
}

/**
 * Keys in a settings file that the schema does not know, each with a suggestion when it looks like
 * a typo (`clocks.timezone` → `clocks.timeZone`): an ignored setting would silently fall back to its
 * default, and for a legal deadline that is worse than refusing to start.
 */
export function unknownSettings(schema: Schema, value: unknown, path: string[] = []): string[] {
  const shape = objectShape(schema);
  if (!shape || typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const known = shape[key];
    if (known) return unknownSettings(known, child, [...path, key]);
    const close = Object.keys(shape).find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    return [`  ${[...path, key].join('.')}: not a setting${close ? ` (did you mean "${[...path, close].join('.')}"?)` : ''}`];
  });
}
