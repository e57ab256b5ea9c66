import type { WebhookSource } from '../../../platform/config';
import { alertmanager } from './alertmanager';
import { datadog } from './datadog';
import { eventbridge } from './eventbridge';
import { generic } from './generic';
import { github } from './github';
import { grafana } from './grafana';
import { guardduty } from './guardduty';
import { pagerduty } from './pagerduty';
import type { AlertSourceSpec } from './source';

/** Every source `POST /alerts/<source>` accepts. */
export const ALERT_SOURCES: Record<WebhookSource, AlertSourceSpec> = {
  alertmanager: alertmanager as AlertSourceSpec,
  grafana: grafana as AlertSourceSpec,
  pagerduty: pagerduty as AlertSourceSpec,
  datadog: datadog as AlertSourceSpec,
  guardduty: guardduty as AlertSourceSpec,
  github: github as AlertSourceSpec,
  eventbridge: eventbridge as AlertSourceSpec,
  generic: generic as AlertSourceSpec,
};

export function isWebhookSource(name: string): name is WebhookSource {
  return Object.hasOwn(ALERT_SOURCES, name);
}

export type { AlertSourceSpec } from './source';
