import { ALERT_SOURCES } from '../domain/alert';
import type { DisplayPolicy } from '../domain/display';
import type { Config } from './config';

/** Which sources' free text people may see (masked): those with `sources.<source>.showTitles`. */
export function displayPolicyFrom(config: Pick<Config, 'sources'>): DisplayPolicy {
  return { showTitles: ALERT_SOURCES.filter((source) => config.sources[source].showTitles) };
}
