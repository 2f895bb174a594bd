/**
 * Kysely's PostgreSQL introspector, which its Migrator asks whether the migration tables exist, reads
 * every schema of the database and calls name-based functions on each row (has_schema_privilege(name),
 * pg_get_serial_sequence('schema.table')). A schema another process drops while that query runs is
 * looked up by a name that no longer exists, and the query fails with `schema "…" does not exist`: the
 * store then fails to open whenever anyone else sharing the database (a tenant, a test) drops a
 * schema at that moment. This introspector looks only at the store's own schema (current_schema(),
 * the search_path the store was opened with), joining the catalogs by OID and calling no function
 * that looks an object up by name.
 */
import {
  type ColumnMetadata,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  type Kysely,
  PostgresDialect,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from "kysely";

export class SchemaScopedPostgresDialect extends PostgresDialect {
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db);
  }
}

const internal = new Set([DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]);

interface ColumnRow {
  table: string;
  is_view: boolean;
  column: string | null;
  type: string | null;
  type_schema: string | null;
  not_null: boolean | null;
  has_default: boolean | null;
  auto_increment: boolean | null;
  comment: string | null;
}

class SchemaScopedIntrospector implements DatabaseIntrospector {
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<SchemaMetadata>`
      SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE nspname = current_schema()`.execute(this.db);
    return r.rows;
  }

  async getTables(options?: DatabaseMetadataOptions): Promise<TableMetadata[]> {
    // A table without columns still appears (LEFT JOIN); an identity column or a nextval() default is
    // auto-incrementing, as pg_get_serial_sequence would say, without a lookup by name.
    const r = await sql<ColumnRow>`
      SELECT c.relname AS table, c.relkind = 'v' AS is_view, a.attname AS column, t.typname AS type,
             tn.nspname AS type_schema, a.attnotnull AS not_null, a.atthasdef AS has_default,
             (a.attidentity <> '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%') AS auto_increment,
             pg_catalog.col_description(a.attrelid, a.attnum) AS comment
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p')
      ORDER BY c.relname, a.attnum`.execute(this.db);
    const schema = (await this.getSchemas())[0]?.name;
    const tables = new Map<string, { name: string; isView: boolean; columns: ColumnMetadata[] }>();
    for (const row of r.rows) {
      let t = tables.get(row.table);
      if (!options?.withInternalKyselyTables && internal.has(row.table)) continue;
      if (!t) {
        t = { name: row.table, isView: row.is_view, columns: [] };
        tables.set(row.table, t);
      }
      if (row.column === null) continue;
      t.columns.push({
        name: row.column,
        dataType: row.type ?? "",
        ...(row.type_schema ? { dataTypeSchema: row.type_schema } : {}),
        isNullable: !row.not_null,
        hasDefaultValue: row.has_default === true,
        isAutoIncrementing: row.auto_increment === true,
        ...(row.comment !== null ? { comment: row.comment } : {}),
      });
    }
    return [...tables.values()].map((t) => ({ ...t, ...(schema ? { schema } : {}) }));
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}
