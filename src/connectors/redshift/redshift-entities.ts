/** Redshift entities: schemas (nested), then the tables of a schema as "schema.table"; a table's columns. */
import type { ConnectorEntity, ConnectorEntityField, EntityFieldType } from "../entity-types.ts";
import { operatorsFor } from "../entity-types.ts";
import type { ResolvedProfile } from "../types.ts";
import { connect, connectionTarget, parseObjectName } from "./redshift-connection.ts";

const SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast', 'pg_internal', 'catalog_history')";

export async function listRedshiftEntities(
  profile: ResolvedProfile,
  entitiesPath: string | undefined,
  signal: AbortSignal,
): Promise<ConnectorEntity[]> {
  const client = await connect(connectionTarget(profile), signal);
  try {
    if (!entitiesPath) {
      const r = await client.query<{ s: string }>(
        `SELECT schema_name AS s FROM information_schema.schemata
         WHERE schema_name NOT IN ${SYSTEM_SCHEMAS} AND schema_name NOT LIKE 'pg_temp%' AND schema_name NOT LIKE 'pg_toast%'
         ORDER BY 1`,
      );
      return r.rows.map((x) => ({ name: x.s, label: x.s, hasNestedEntities: true }));
    }
    const r = await client.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
      [entitiesPath],
    );
    return r.rows.map((x) => ({ name: `${entitiesPath}.${x.t}`, label: x.t, hasNestedEntities: false }));
  } finally {
    await client.end().catch(() => {});
  }
}

export async function describeRedshiftEntity(
  profile: ResolvedProfile,
  entityName: string,
  signal: AbortSignal,
): Promise<ConnectorEntityField[]> {
  const { schema, table } = parseObjectName(entityName);
  const client = await connect(connectionTarget(profile), signal);
  try {
    const r = await client.query<{
      name: string;
      type: string;
      nullable: string;
      def: string | null;
      pk: boolean;
    }>(
      `SELECT c.column_name AS name, c.data_type AS type, c.is_nullable AS nullable, c.column_default AS def,
              EXISTS (SELECT 1 FROM information_schema.table_constraints tc
                      JOIN information_schema.key_column_usage k
                        ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
                      WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
                        AND tc.table_name = c.table_name AND k.column_name = c.column_name) AS pk
       FROM information_schema.columns c WHERE c.table_schema = $1 AND c.table_name = $2
       ORDER BY c.ordinal_position`,
      [schema, table],
    );
    return r.rows.map((c) => {
      const type = columnType(c.type);
      return {
        identifier: c.name,
        label: c.name,
        isPrimaryKey: c.pk,
        ...(c.def !== null ? { defaultValue: c.def } : {}),
        supportedFieldTypeDetails: { v1: { fieldType: type, filterOperators: operatorsFor(type) } },
        destinationProperties: {
          isCreatable: true,
          isNullable: c.nullable === "YES",
          isUpsertable: false,
          isUpdatable: false,
          isDefaultedOnCreate: c.def !== null,
          supportedWriteOperations: ["INSERT"],
        },
      };
    });
  } finally {
    await client.end().catch(() => {});
  }
}

function columnType(sqlType: string): EntityFieldType {
  const t = sqlType.toLowerCase();
  if (/^(smallint|integer|bigint)$/.test(t)) return "integer";
  if (/^(numeric|decimal|real|double precision)$/.test(t)) return "double";
  if (t === "boolean") return "boolean";
  if (t === "date") return "date";
  if (t.startsWith("timestamp")) return "datetime";
  return "string";
}
