export { createSlackApp, startSlackIngress, SLACK_EVENTS_PATH, type SlackApp, type SlackSettings } from './app';
export type { SlackDeps } from './deps';
