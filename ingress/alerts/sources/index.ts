import type { WebhookSource } from '../../../domain/alert';
import { alertmanager } from './alertmanager';
import { datadog } from './datadog';
import { eventbridge } from './eventbridge';
import { generic } from './generic';
import { github } from './github';
import { grafana } from './grafana';
import { guardduty } from './guardduty';
import { pagerduty } from './pagerduty';
import type { AlertSourceSpec } from './source';

/** The schema and mapping of every source `POST /alerts/<source>` accepts. */
export const WEBHOOK_SOURCE_SPECS: Record<WebhookSource, AlertSourceSpec> = {
  alertmanager: alertmanager,
  grafana: grafana,
  pagerduty: pagerduty,
  datadog: datadog,
  guardduty: guardduty,
  github: github,
  eventbridge: eventbridge,
  generic: generic,
};

export function isWebhookSource(name: string): name is WebhookSource {
  return Object.hasOwn(WEBHOOK_SOURCE_SPECS, name);
}

export type { AlertSourceSpec } from './source';
