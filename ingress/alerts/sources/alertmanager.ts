import { z } from 'zod';
import { fromPrometheusStyle, labelMap, MAX_ALERTS_PER_DELIVERY, PrometheusStyleAlert } from '../prometheus-style';
import { defineSource } from './source';

/** Prometheus Alertmanager `webhook_config`, payload version 4: one notification per alert group. */
const AlertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().max(4000),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(500),
  groupLabels: labelMap,
  commonLabels: labelMap,
  commonAnnotations: labelMap,
  externalURL: z.string().max(4000),
  alerts: z.array(PrometheusStyleAlert).min(1).max(MAX_ALERTS_PER_DELIVERY),
});

export const alertmanager = defineSource({
  name: 'alertmanager',
  schema: AlertmanagerPayload,
  toAlerts: (payload) => payload.alerts.map(fromPrometheusStyle),
});
