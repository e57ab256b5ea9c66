export { createIngressApp, ingressDepsFrom, type IngressDeps } from './app';
export { listen, type RunningServer, type ListenOptions } from './server';
export { tlsFilesOf, type TlsFiles } from './tls';
export { evidenceRawStore, type RawPayloadStore } from './raw-store';
export { deliverAlert } from './incidents';
