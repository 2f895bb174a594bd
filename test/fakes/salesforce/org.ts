/**
 * The in-memory org: sObjects, their records (soft-deleted into the recycle bin, as Salesforce does, so
 * queryAll still sees them with IsDeleted = true), validation, and a change feed for Change Data Capture.
 *
 * Docs: REST API Developer Guide, "QueryAll" (deleted and archived records are returned with IsDeleted);
 * SOAP API Developer Guide, "System Fields" (Id, IsDeleted, CreatedDate, LastModifiedDate,
 * SystemModstamp — all read-only) and "Core Data Types" (StatusCode values); Change Data Capture
 * Developer Guide, "Change Event Message Structure" (what a change event carries: see events.ts).
 * Writes are two-phase (prepare, then commit) so an allOrNone request changes nothing when one record fails.
 */
import { makeId, normaliseId } from "./ids.ts";
import { type FieldDef, type ObjectDef, STANDARD_OBJECTS } from "./schema.ts";
import { parseInput, RecordError, type Value } from "./values.ts";

export type Row = Record<string, Value>;
export type ChangeType = "CREATE" | "UPDATE" | "DELETE" | "UNDELETE";

export interface RecordChange {
  entityName: string;
  changeType: ChangeType;
  recordId: string;
  changedFields: string[];
  /** For CREATE/UNDELETE every non-null field, for UPDATE the changed ones, for DELETE nothing. */
  fields: Row;
  commitTimestamp: number;
  origin: string;
}

/** A test-injected per-record failure: a field value that fails "validation". */
export interface ValidationRule {
  object: string;
  field: string;
  equals: Value;
  message?: string;
  errorCode?: string;
}

export type Operation = "insert" | "update" | "upsert" | "delete";
export interface Prepared {
  op: Operation | "undelete";
  object: ObjectDef;
  id: string;
  created: boolean;
  values: Row;
}

export class Org {
  readonly objects = new Map<string, ObjectDef>();
  private readonly rows = new Map<string, Map<string, Row>>();
  private counter = 0;
  readonly rules: ValidationRule[] = [];
  private readonly listeners: ((c: RecordChange) => void)[] = [];

  constructor(
    readonly now: () => number,
    defs: ObjectDef[] = STANDARD_OBJECTS,
  ) {
    for (const d of defs) {
      this.objects.set(d.name.toLowerCase(), d);
      this.rows.set(d.name, new Map());
    }
  }

  object(name: string): ObjectDef | undefined {
    return this.objects.get(name.toLowerCase());
  }

  requireObject(name: string): ObjectDef {
    const o = this.object(name);
    if (!o) throw new RecordError("INVALID_TYPE", `sObject type '${name}' is not supported.`);
    return o;
  }

  onChange(l: (c: RecordChange) => void): void {
    this.listeners.push(l);
  }

  /** Records of one object in Id order; deleted ones only when asked (queryAll). */
  list(object: string, includeDeleted = false): Row[] {
    const o = this.requireObject(object);
    const all = [...this.rows.get(o.name)!.values()];
    return includeDeleted ? all : all.filter((r) => r.IsDeleted !== true);
  }

  get(object: string, id: string): Row | undefined {
    const o = this.requireObject(object);
    const key = normaliseId(id);
    return key ? this.rows.get(o.name)!.get(key) : undefined;
  }

  newId(o: ObjectDef): string {
    this.counter += 1;
    return makeId(o.keyPrefix, this.counter);
  }

  private field(o: ObjectDef, name: string): FieldDef {
    const fd = o.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!fd)
      throw new RecordError("INVALID_FIELD", `No such column '${name}' on sobject of type ${o.name}`, [name]);
    return fd;
  }

  private values(o: ObjectDef, input: Record<string, unknown>, source: "json" | "csv", skip: string[]): Row {
    const out: Row = {};
    const readOnly: string[] = [];
    for (const [k, raw] of Object.entries(input)) {
      if (k === "attributes" || skip.some((s) => s.toLowerCase() === k.toLowerCase())) continue;
      const fd = this.field(o, k);
      const v = parseInput(fd, raw, source);
      if (v === undefined) continue;
      if (!fd.createable && !fd.updateable) readOnly.push(fd.name);
      out[fd.name] = v;
    }
    if (readOnly.length > 0)
      throw new RecordError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        `Unable to create/update fields: ${readOnly.join(", ")}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        readOnly,
      );
    return out;
  }

  private check(o: ObjectDef, full: Row, selfId: string | undefined): void {
    const missing = o.fields.filter(
      (fd) => !fd.nillable && fd.createable && (full[fd.name] ?? null) === null,
    );
    if (missing.length > 0)
      throw new RecordError(
        "REQUIRED_FIELD_MISSING",
        `Required fields are missing: [${missing.map((m) => m.name).join(", ")}]`,
        missing.map((m) => m.name),
      );
    for (const fd of o.fields.filter((x) => x.unique)) {
      const v = full[fd.name];
      if (v === null || v === undefined) continue;
      const dup = this.list(o.name, true).find((r) => r.Id !== selfId && r[fd.name] === v);
      if (dup)
        throw new RecordError(
          "DUPLICATE_VALUE",
          `duplicate value found: ${fd.name} duplicates value on record with id: ${dup.Id}`,
          [fd.name],
        );
    }
    for (const rule of this.rules) {
      if (rule.object.toLowerCase() === o.name.toLowerCase() && full[rule.field] === rule.equals)
        throw new RecordError(
          rule.errorCode ?? "FIELD_CUSTOM_VALIDATION_EXCEPTION",
          rule.message ?? `${rule.field} may not be ${String(rule.equals)}`,
          [rule.field],
        );
    }
  }

  /** Validates one write against the current state; throws RecordError, changes nothing. */
  prepare(
    op: Operation | "undelete",
    object: string,
    input: Record<string, unknown>,
    source: "json" | "csv",
    extField?: string,
  ): Prepared {
    const o = this.requireObject(object);
    if (op === "insert") {
      if (Object.keys(input).some((k) => k.toLowerCase() === "id") && input.Id !== "" && input.id !== "")
        throw new RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]);
      const values = this.values(o, input, source, ["Id"]);
      this.check(o, defaults(o, values), undefined);
      return { op, object: o, id: "", created: true, values };
    }
    if (op === "upsert" && extField && extField.toLowerCase() !== "id") {
      const fd = this.field(o, extField);
      if (!fd.externalId)
        throw new RecordError(
          "INVALID_FIELD",
          `Field ${fd.name} is not an External ID or indexed field for ${o.name}`,
          [fd.name],
        );
      const key = parseInput(
        fd,
        input[Object.keys(input).find((k) => k.toLowerCase() === extField.toLowerCase()) ?? ""],
        source,
      );
      if (key === undefined || key === null)
        throw new RecordError("MISSING_ARGUMENT", `${fd.name} not specified`, [fd.name]);
      const existing = this.list(o.name).find((r) => r[fd.name] === key);
      const values = this.values(o, input, source, ["Id"]);
      this.check(
        o,
        existing ? { ...existing, ...values } : defaults(o, values),
        existing?.Id as string | undefined,
      );
      return { op, object: o, id: (existing?.Id as string) ?? "", created: !existing, values };
    }
    const rawId = Object.entries(input).find(([k]) => k.toLowerCase() === "id")?.[1];
    if (op === "upsert" && (rawId === undefined || rawId === ""))
      return this.prepare("insert", object, input, source);
    const id = typeof rawId === "string" ? normaliseId(rawId) : undefined;
    if (!id) throw new RecordError("MALFORMED_ID", `Id: malformed id ${String(rawId ?? "")}`, ["Id"]);
    const existing = this.rows.get(o.name)!.get(id);
    if (!existing || (op !== "undelete" && existing.IsDeleted === true))
      throw new RecordError(
        existing ? "ENTITY_IS_DELETED" : "INVALID_CROSS_REFERENCE_KEY",
        existing ? "entity is deleted" : "invalid cross reference id",
      );
    if (op === "undelete" && existing.IsDeleted !== true)
      throw new RecordError("UNDELETE_FAILED", "Entity is not in the recycle bin");
    if (op === "delete" || op === "undelete") return { op, object: o, id, created: false, values: {} };
    const values = this.values(o, input, source, ["Id"]);
    this.check(o, { ...existing, ...values }, id);
    return { op, object: o, id, created: false, values };
  }

  /** Applies prepared writes (all validated already) and emits one change per record. */
  commit(list: Prepared[], origin: string): string[] {
    const ts = this.now();
    return list.map((p) => {
      const table = this.rows.get(p.object.name)!;
      if (p.created) {
        const id = this.newId(p.object);
        const row: Row = {
          ...defaults(p.object, p.values),
          Id: id,
          IsDeleted: false,
          CreatedDate: ts,
          LastModifiedDate: ts,
          SystemModstamp: ts,
        };
        table.set(id, row);
        this.emit(p.object, "CREATE", id, Object.keys(row), nonNull(row), ts, origin);
        return id;
      }
      const row = table.get(p.id)!;
      if (p.op === "delete" || p.op === "undelete") {
        Object.assign(row, { IsDeleted: p.op === "delete", SystemModstamp: ts });
        this.emit(
          p.object,
          p.op === "delete" ? "DELETE" : "UNDELETE",
          p.id,
          [],
          p.op === "delete" ? {} : nonNull(row),
          ts,
          origin,
        );
        return p.id;
      }
      const changed = Object.keys(p.values).filter((k) => row[k] !== p.values[k]);
      Object.assign(row, p.values, { LastModifiedDate: ts, SystemModstamp: ts });
      const fields: Row = { LastModifiedDate: ts };
      for (const k of changed) fields[k] = row[k]!;
      this.emit(p.object, "UPDATE", p.id, [...changed, "LastModifiedDate"], fields, ts, origin);
      return p.id;
    });
  }

  private emit(
    o: ObjectDef,
    changeType: ChangeType,
    recordId: string,
    changedFields: string[],
    fields: Row,
    ts: number,
    origin: string,
  ): void {
    const change: RecordChange = {
      entityName: o.name,
      changeType,
      recordId,
      changedFields: changeType === "UPDATE" ? changedFields : [],
      fields,
      commitTimestamp: ts,
      origin,
    };
    for (const l of this.listeners) l(change);
  }

  /** Seeding: puts a fully formed row in place without emitting change events (history, not a change). */
  seedRow(o: ObjectDef, row: Row): string {
    const id = this.newId(o);
    this.rows.get(o.name)!.set(id, { ...defaults(o, row), Id: id, IsDeleted: row.IsDeleted ?? false });
    return id;
  }
}

function defaults(o: ObjectDef, values: Row): Row {
  const out: Row = {};
  for (const fd of o.fields) out[fd.name] = fd.type === "boolean" && !fd.nillable ? false : null;
  return { ...out, ...values };
}

function nonNull(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row))
    if (v !== null && k !== "IsDeleted" && k !== "SystemModstamp") out[k] = v;
  return out;
}
