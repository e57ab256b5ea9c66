import type { z } from 'zod';
import type { WebhookSource } from '../../../domain/alert';
import type { SourceAlert } from '../normalise';

/**
 * One alert source: the schema of its documented payload and the mapping of that payload to
 * alerts. Nothing else lives in a source file: signatures, limits and delivery are shared.
 */
export interface AlertSourceSpec<Payload = unknown> {
  name: WebhookSource;
  schema: z.ZodType<Payload>;
  /** every alert the delivery carries; events that are not alerts (pings, acknowledgements) map to none */
  toAlerts(payload: Payload): SourceAlert[];
}

export function defineSource<Payload>(spec: AlertSourceSpec<Payload>): AlertSourceSpec<Payload> {
  return spec;
}
