/**
 * The audit ledger's table in PostgreSQL. One row per record; `record` holds the record's exact
 * canonical JSON (the line the file ledger would hold), so `audit verify` re-derives the same
 * chain from either. The columns beside it are what the database enforces: one row per seq, one
 * per event id, one per hash. The writer is granted INSERT and SELECT only; the trigger refuses
 * UPDATE and DELETE even to the table's owner, so changing history takes a superuser disabling it
 * on purpose — and verify still finds what was changed.
 */
export const AUDIT_TABLE = 'tourniquet_audit';
/** Which content each sender-given delivery id was first accepted with (ingress/delivery-ids-postgres.ts). */
export const DELIVERY_IDS_TABLE = 'tourniquet_delivery_ids';

export const AUDIT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
  seq        bigint PRIMARY KEY CHECK (seq > 0),
  event_id   text UNIQUE,
  prev_hash  char(64) NOT NULL,
  hash       char(64) NOT NULL UNIQUE,
  record     text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION ${AUDIT_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit ledger is append-only: % refused', TG_OP;
END $$;
DROP TRIGGER IF EXISTS ${AUDIT_TABLE}_append_only ON ${AUDIT_TABLE};
CREATE TRIGGER ${AUDIT_TABLE}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${AUDIT_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION ${AUDIT_TABLE}_append_only();
CREATE TABLE IF NOT EXISTS ${DELIVERY_IDS_TABLE} (
  source      text NOT NULL,
  delivery_id text NOT NULL,
  digest      char(64) NOT NULL,
  bound_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, delivery_id)
);
`;

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * What each role may do: the writer (every Tourniquet process) appends and reads — it must see the
 * head — and binds delivery ids; the reader only reads the ledger.
 */
export function auditGrantsSql(writer: string, reader?: string): string {
  for (const role of [writer, reader]) if (role !== undefined && !ROLE.test(role)) throw new Error(`not a plain role name: ${role}`);
  return [
    `REVOKE ALL ON ${AUDIT_TABLE}, ${DELIVERY_IDS_TABLE} FROM PUBLIC;`,
    `GRANT INSERT, SELECT ON ${AUDIT_TABLE}, ${DELIVERY_IDS_TABLE} TO ${writer};`,
    ...(reader ? [`GRANT SELECT ON ${AUDIT_TABLE} TO ${reader};`] : []),
  ].join('\n');
}
