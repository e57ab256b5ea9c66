export { createIngressApp, ingressDepsFrom, type IngressDeps } from './app';
export { listen, type RunningServer } from './server';
export { localRawStore, type RawPayloadStore } from './raw-store';
export { deliverAlert } from './incidents';
