import { z } from 'zod';
import type { Severity } from '../../../domain/severity';
import type { SourceAlert } from '../normalise';
import { severityFromWord } from '../severity-words';
import { defineSource } from './source';

/**
 * PagerDuty V3 webhooks: one event per delivery in an envelope `{ event: { id, event_type,
 * resource_type, occurred_at, agent, client, data } }`. Incidents that trigger or reopen are
 * alerts, a resolved incident resolves them; every other event (acknowledged, annotated,
 * pagey.ping, …) is accepted and maps to nothing.
 */
const reference = z.object({ id: z.string().max(200), summary: z.string().max(1000).optional() });

const Incident = z.object({
  id: z.string().min(1).max(200),
  type: z.literal('incident'),
  title: z.string().min(1).max(4000),
  status: z.string().max(50),
  number: z.number().int().optional(),
  incident_key: z.string().max(500).nullish(),
  urgency: z.string().max(50).optional(),
  html_url: z.string().max(4000).optional(),
  created_at: z.iso.datetime({ offset: true }).optional(),
  service: reference.optional(),
  priority: reference.nullish(),
});

const PagerDutyPayload = z.object({
  event: z.object({
    id: z.string().min(1).max(200),
    event_type: z.string().min(1).max(200),
    resource_type: z.string().min(1).max(200),
    occurred_at: z.iso.datetime({ offset: true }),
    agent: z.object({ id: z.string().max(200), type: z.string().max(200) }).nullish(),
    client: z.object({ name: z.string().max(200) }).nullish(),
    data: z.record(z.string(), z.unknown()),
  }),
});

const STATUS_OF: Record<string, SourceAlert['status']> = {
  'incident.triggered': 'firing',
  'incident.reopened': 'firing',
  'incident.resolved': 'resolved',
};

function severity(incident: z.infer<typeof Incident>): Severity {
  return severityFromWord(incident.priority?.summary) ?? (incident.urgency === 'low' ? 'low' : 'high');
}

export const pagerduty = defineSource({
  name: 'pagerduty',
  schema: PagerDutyPayload,
  toAlerts: ({ event }) => {
    const status = STATUS_OF[event.event_type];
    if (!status) return [];
    const incident = Incident.parse(event.data);
    const labels: Record<string, string> = { pagerduty_incident: incident.id };
    if (incident.service?.summary) labels.service = incident.service.summary;
    if (incident.urgency) labels.urgency = incident.urgency;
    if (incident.priority?.summary) labels.priority = incident.priority.summary;
    return [
      {
        kind: incident.title.slice(0, 200),
        severity: severity(incident),
        status,
        title: incident.title.slice(0, 500),
        subject: incident.service?.summary ? { service: incident.service.summary } : {},
        labels,
        observedAt: event.occurred_at,
        // Triggered and resolved events of one incident share its key, so they meet in one incident here.
        sourceFingerprint: `incident:${incident.incident_key || incident.id}`,
        sourceId: event.id,
      },
    ];
  },
});
