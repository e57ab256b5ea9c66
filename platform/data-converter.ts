import type { DataConverter } from '@temporalio/common';
import type { Config } from './config';

/**
 * The data converter every Temporal connection of Tourniquet uses (worker, ingress, CLI), so
 * all of them read and write payloads alike.
 */
export function createDataConverter(_config: Config): DataConverter {
  return {};
}
