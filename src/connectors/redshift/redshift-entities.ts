/** Redshift entities: schemas (nested), then the tables of a schema as "schema.table"; a table's columns. */
import type { ConnectorEntity, ConnectorEntityField, EntityFieldType } from "../entity-types.ts";
import { operatorsFor } from "../entity-types.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "../types.ts";
import { dataApiTarget, queryRows, usesDataApi } from "./data-api.ts";
import { connect, connectionTarget, parseObjectName } from "./redshift-connection.ts";

type Row = Record<string, string | number | boolean | null>;

/**
 * Runs a catalogue query over the wire protocol or the Data API. `sql` uses `$1, $2` placeholders;
 * the Data API gets them as named parameters `:p1, :p2`.
 */
async function catalog(
  profile: ResolvedProfile,
  env: ConnectorEnvironment,
  sql: string,
  params: string[],
  signal: AbortSignal,
): Promise<Row[]> {
  if (usesDataApi(profile)) {
    const named = sql.replace(/\$(\d+)/g, ":p$1");
    const parameters = params.map((value, i) => ({ name: `p${i + 1}`, value }));
    return queryRows(dataApiTarget(profile, env), named, parameters, signal, "Reading the catalogue");
  }
  const client = await connect(connectionTarget(profile), signal);
  try {
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

const SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast', 'pg_internal', 'catalog_history')";

export async function listRedshiftEntities(
  profile: ResolvedProfile,
  entitiesPath: string | undefined,
  signal: AbortSignal,
  env: ConnectorEnvironment,
): Promise<ConnectorEntity[]> {
  if (!entitiesPath) {
    const rows = await catalog(
      profile,
      env,
      `SELECT schema_name AS s FROM information_schema.schemata
       WHERE schema_name NOT IN ${SYSTEM_SCHEMAS} AND schema_name NOT LIKE 'pg_temp%' AND schema_name NOT LIKE 'pg_toast%'
       ORDER BY 1`,
      [],
      signal,
    );
    return rows.map((x) => ({ name: String(x.s), label: String(x.s), hasNestedEntities: true }));
  }
  const rows = await catalog(
    profile,
    env,
    "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    [entitiesPath],
    signal,
  );
  return rows.map((x) => ({ name: `${entitiesPath}.${x.t}`, label: String(x.t), hasNestedEntities: false }));
}

export async function describeRedshiftEntity(
  profile: ResolvedProfile,
  entityName: string,
  signal: AbortSignal,
  env: ConnectorEnvironment,
): Promise<ConnectorEntityField[]> {
  const { schema, table } = parseObjectName(entityName);
  const rows = await catalog(
    profile,
    env,
    `SELECT c.column_name AS name, c.data_type AS type, c.is_nullable AS nullable, c.column_default AS def,
            EXISTS (SELECT 1 FROM information_schema.table_constraints tc
                    JOIN information_schema.key_column_usage k
                      ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
                    WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
                      AND tc.table_name = c.table_name AND k.column_name = c.column_name) AS pk
     FROM information_schema.columns c WHERE c.table_schema = $1 AND c.table_name = $2
     ORDER BY c.ordinal_position`,
    [schema, table],
    signal,
  );
  return rows.map((c) => {
    const type = columnType(String(c.type));
    const def = c.def === null || c.def === undefined ? null : String(c.def);
    return {
      identifier: String(c.name),
      label: String(c.name),
      isPrimaryKey: c.pk === true,
      ...(def !== null ? { defaultValue: def } : {}),
      supportedFieldTypeDetails: { v1: { fieldType: type, filterOperators: operatorsFor(type) } },
      destinationProperties: {
        isCreatable: true,
        isNullable: c.nullable === "YES",
        isUpsertable: false,
        isUpdatable: false,
        isDefaultedOnCreate: def !== null,
        supportedWriteOperations: ["INSERT"],
      },
    };
  });
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
