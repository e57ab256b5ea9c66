/** Every custom search attribute Tourniquet uses; the embedded server registers them at start. */
import { INCIDENT_SEARCH_ATTRIBUTE_KEYS } from './definitions';
import { CLOCK_SEARCH_ATTRIBUTE_KEYS } from './breach-clock-definitions';
import { blockedCidrsKey } from './playbooks/definitions';
import { FOLLOW_UP_SEARCH_ATTRIBUTE_KEYS } from './follow-up-definitions';

export const SEARCH_ATTRIBUTE_KEYS = [...INCIDENT_SEARCH_ATTRIBUTE_KEYS, ...CLOCK_SEARCH_ATTRIBUTE_KEYS, blockedCidrsKey, ...FOLLOW_UP_SEARCH_ATTRIBUTE_KEYS];
