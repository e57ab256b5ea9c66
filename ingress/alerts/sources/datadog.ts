import { z } from 'zod';
import type { Severity } from '../../../domain/severity';
import type { SourceAlert } from '../normalise';
import { subjectFromLabels } from '../prometheus-style';
import { severityFromWord } from '../severity-words';
import { defineSource } from './source';

/**
 * Datadog's Webhooks integration with its default payload template:
 * `{ body: $EVENT_MSG, last_updated: $LAST_UPDATED, event_type: $EVENT_TYPE, title: $EVENT_TITLE,
 * date: $DATE, org: { id: $ORG_ID, name: $ORG_NAME }, id: $ID }`. Fields teams commonly add
 * ($AGGREG_KEY, $ALERT_ID, $ALERT_TRANSITION, $ALERT_PRIORITY, $TAGS) are used when present.
 * One event per delivery.
 */
const epochMillis = z.string().regex(/^\d{13}$/, 'epoch milliseconds, as $DATE renders');

const DatadogPayload = z.object({
  body: z.string().max(65_536),
  last_updated: epochMillis,
  event_type: z.string().min(1).max(200),
  title: z.string().min(1).max(4000),
  date: epochMillis,
  org: z.object({ id: z.string().max(200), name: z.string().max(500) }),
  id: z.string().min(1).max(200),
  aggreg_key: z.string().max(200).optional(),
  alert_id: z.string().max(200).optional(),
  alert_transition: z.string().max(50).optional(),
  alert_priority: z.string().max(10).optional(),
  tags: z.string().max(8000).optional(),
});

/**
 * `[P1] [Triggered on {host:web-1}] Monitor name`: optional priority, transition, optional scope,
 * name. Datadog puts the priority first; it is also accepted after the transition.
 */
const TITLE = /^(?:\[(P[1-5])\]\s*)?\[(Triggered|Re-Triggered|Recovered|Warn|Re-Warn|No Data|Re-No Data|Renotify)(?: on \{([^}]*)\})?\]\s*(?:\[(P[1-5])\]\s*)?(.*)$/s;

const TRANSITION_SEVERITY: Record<string, Severity> = { Warn: 'medium', 'Re-Warn': 'medium', 'No Data': 'low', 'Re-No Data': 'low' };

/** `$TAGS` renders as `key:value,key:value`; keys without a value become `key: "true"`. */
function tagLabels(tags: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of (tags ?? '').split(',').map((t) => t.trim()).filter(Boolean).slice(0, 100)) {
    const at = tag.indexOf(':');
    if (at === -1) labels[tag.slice(0, 200)] = 'true';
    else labels[tag.slice(0, at).slice(0, 200)] = tag.slice(at + 1).slice(0, 1000);
  }
  return labels;
}

export const datadog = defineSource({
  name: 'datadog',
  schema: DatadogPayload,
  toAlerts: (p): SourceAlert[] => {
    const parsed = TITLE.exec(p.title);
    const transition = p.alert_transition ?? parsed?.[2] ?? 'Triggered';
    const scope = parsed?.[3];
    const priority = parsed?.[1] ?? parsed?.[4];
    const name = (parsed?.[5] || p.title).trim() || p.title;
    const labels: Record<string, string> = { ...tagLabels(p.tags), datadog_event_type: p.event_type };
    if (scope) labels.scope = scope;
    return [
      {
        kind: name.slice(0, 200),
        severity:
          severityFromWord(priority ?? p.alert_priority) ?? TRANSITION_SEVERITY[transition] ?? 'high',
        status: transition === 'Recovered' ? 'resolved' : 'firing',
        title: name.slice(0, 500),
        subject: subjectFromLabels(labels),
        labels,
        observedAt: new Date(Number(p.date)).toISOString(),
        // Trigger and recovery of one monitor (and scope) share this, so they meet in one incident.
        sourceFingerprint: p.aggreg_key || (p.alert_id ? `${p.alert_id}|${scope ?? ''}` : `${name}|${scope ?? ''}`),
        sourceId: p.id,
      },
    ];
  },
});
