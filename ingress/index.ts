export { createIngressApp, ingressDepsFrom, type IngressDeps } from './app';
export { listen, type RunningServer } from './server';
export { evidenceRawStore, type RawPayloadStore } from './raw-store';
export { deliverAlert } from './incidents';
