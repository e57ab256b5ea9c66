import type { Pool } from 'pg';
import { DELIVERY_IDS_TABLE } from '../activities/audit/postgres-schema';
import type { DeliveryIdRegistry } from './delivery-ids';

/**
 * The delivery-id bindings in the shared database (with `audit.postgres`): every ingress sees what
 * any other bound, so an id reused for different content is refused whichever ingress the second
 * delivery reaches. The primary key decides a race: of two binds, one row is inserted and both
 * read it. Needs INSERT and SELECT only, like the ledger.
 */
export function postgresDeliveryIds(pool: Pool): DeliveryIdRegistry {
  const boundTo = async (source: string, deliveryId: string): Promise<string | undefined> => {
    const { rows } = await pool.query<{ digest: string }>(`SELECT digest FROM ${DELIVERY_IDS_TABLE} WHERE source = $1 AND delivery_id = $2`, [source, deliveryId]);
    return rows[0]?.digest;
  };
  return {
    boundTo,
    async bind(source, deliveryId, digest) {
      await pool.query(`INSERT INTO ${DELIVERY_IDS_TABLE} (source, delivery_id, digest) VALUES ($1, $2, $3) ON CONFLICT (source, delivery_id) DO NOTHING`, [source, deliveryId, digest]);
      return (await boundTo(source, deliveryId)) ?? digest;
    },
  };
}
