import type { Alert } from '../../domain/alert';

let counter = 0;

/** A normalised alert, as the ingress would deliver it. */
export function anAlert(overrides: Partial<Alert> = {}): Alert {
  counter += 1;
  return {
    source: 'generic',
    kind: 'TestKind',
    severity: 'high',
    status: 'firing',
    title: 'test alert',
    subject: { principal: 'svc-export' },
    labels: {},
    observedAt: new Date(Date.now() - 60_000).toISOString(),
    fingerprint: `fp${Date.now().toString(36)}${counter}`,
    deliveryId: `delivery-${Date.now()}-${counter}`,
    rawRef: 'raw/generic/test',
    ...overrides,
  };
}
