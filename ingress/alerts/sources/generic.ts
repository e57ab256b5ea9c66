import { z } from 'zod';
import { SEVERITIES } from '../../../domain/severity';
import { defineSource } from './source';

/**
 * Tourniquet's own alert format, for systems without a native integration (see README "Alert
 * sources"). One alert, or `{ "alerts": [ … ] }` for several in one delivery.
 */
const GenericAlert = z
  .object({
    id: z.string().min(1).max(200).optional(),
    kind: z.string().min(1).max(200),
    severity: z.enum(SEVERITIES),
    status: z.enum(['firing', 'resolved']).default('firing'),
    title: z.string().min(1).max(500),
    observedAt: z.iso.datetime({ offset: true }).optional(),
    fingerprint: z.string().min(1).max(200).optional(),
    subject: z
      .object({
        principal: z.string().max(512).optional(),
        accessKeyId: z.string().max(128).optional(),
        kmsKeyId: z.string().max(512).optional(),
        ips: z.array(z.string().max(64)).max(1000).optional(),
        service: z.string().max(200).optional(),
      })
      .strict()
      .default({}),
    labels: z.record(z.string().max(200), z.string().max(1000)).default({}),
  })
  .strict();

const GenericPayload = z.union([GenericAlert, z.object({ alerts: z.array(GenericAlert).min(1).max(500) }).strict()]);

export const generic = defineSource({
  name: 'generic',
  schema: GenericPayload,
  toAlerts: (payload) =>
    ('alerts' in payload ? payload.alerts : [payload]).map(({ id, fingerprint, ...alert }) => ({
      ...alert,
      sourceFingerprint: fingerprint,
      sourceId: id,
    })),
});
