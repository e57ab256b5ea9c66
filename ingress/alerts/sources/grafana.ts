import { z } from 'zod';
import { fromPrometheusStyle, labelMap, MAX_ALERTS_PER_DELIVERY, PrometheusStyleAlert } from '../prometheus-style';
import { defineSource } from './source';

/** Grafana Alerting's webhook contact point: Alertmanager's shape plus Grafana's own fields. */
const GrafanaAlert = PrometheusStyleAlert.extend({
  silenceURL: z.string().max(4000).optional(),
  dashboardURL: z.string().max(4000).optional(),
  panelURL: z.string().max(4000).optional(),
});

const GrafanaPayload = z.object({
  receiver: z.string().max(500),
  status: z.enum(['firing', 'resolved']),
  orgId: z.number().int(),
  alerts: z.array(GrafanaAlert).min(1).max(MAX_ALERTS_PER_DELIVERY),
  groupLabels: labelMap,
  commonLabels: labelMap,
  commonAnnotations: labelMap,
  externalURL: z.string().max(4000),
  version: z.string().max(20),
  groupKey: z.string().max(4000),
  truncatedAlerts: z.number().int().min(0).optional(),
  title: z.string().max(4000).optional(),
  state: z.string().max(50).optional(),
  message: z.string().max(65_536).optional(),
});

export const grafana = defineSource({
  name: 'grafana',
  schema: GrafanaPayload,
  toAlerts: (payload) => payload.alerts.map(fromPrometheusStyle),
});
