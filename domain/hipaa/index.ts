export * from './calendar';
export * from './facts';
export * from './obligations';
export * from './deadlines';
export * from './law-enforcement';
export * from './schedule';
export * from './risk-assessment';
export * from './small-breach-log';
