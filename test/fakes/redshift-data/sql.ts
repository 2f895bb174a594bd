/**
 * The SQL the Redshift Data API fake must understand itself: Redshift's COPY FROM 's3://…' (which
 * PostgreSQL doesn't have), and the Data API's named parameters (`:name`).
 */

export interface S3Copy {
  /** The table as written (quoted identifiers kept), and the column list (or undefined). */
  table: string;
  columns?: string;
  bucket: string;
  key: string;
  iamRole?: string;
  format?: string;
  options: string[];
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const COPY_RE = new RegExp(
  String.raw`^\s*COPY\s+(${IDENT}(?:\.${IDENT})?)\s*(?:\(([^)]*)\))?\s+FROM\s+'((?:[^']|'')*)'\s*(.*?);?\s*$`,
  "is",
);

function literal(s: string): string {
  return s.replaceAll("''", "'").replaceAll("\\\\", "\\");
}

/** A Redshift COPY from S3, or undefined when `sql` is something else. Throws on a malformed one. */
export function parseS3Copy(sql: string): S3Copy | undefined {
  const m = COPY_RE.exec(sql);
  if (!m) return undefined;
  const src = literal(m[3]!);
  const url = /^s3:\/\/([^/]+)\/(.+)$/.exec(src);
  if (!url) throw new Error(`ERROR: unsupported COPY source ${src} (only s3:// is supported)`);
  const copy: S3Copy = {
    table: m[1]!,
    columns: m[2],
    bucket: url[1]!,
    key: url[2]!,
    options: [],
  };
  // Options: IAM_ROLE 'arn' | FORMAT [AS] CSV | NAME 'value' | NAME
  const opt =
    /\s*(IAM_ROLE|FORMAT(?:\s+AS)?|[A-Z_]+)\s*(?:'((?:[^']|'')*)'|(\b(?:CSV|JSON|PARQUET|AVRO)\b))?/giy;
  const rest = m[4] ?? "";
  let pos = 0;
  while (pos < rest.length) {
    opt.lastIndex = pos;
    const o = opt.exec(rest);
    if (!o || o[0].length === 0)
      throw new Error(`ERROR: syntax error at or near "${rest.slice(pos, pos + 20)}"`);
    pos = opt.lastIndex;
    const name = o[1]!.toUpperCase().replace(/\s+AS$/, "");
    const value = o[2] !== undefined ? literal(o[2]) : o[3];
    if (name === "IAM_ROLE") copy.iamRole = value;
    else if (name === "FORMAT") copy.format = value?.toUpperCase();
    else copy.options.push(value === undefined ? name : `${name} ${value}`);
  }
  return copy;
}

/** `:name` placeholders (outside string literals) → `$n`, with the values in order. */
export function bindParameters(
  sql: string,
  params: { name: string; value: string }[] | undefined,
): { text: string; values: string[] } {
  const byName = new Map((params ?? []).map((p) => [p.name, p.value]));
  const values: string[] = [];
  const order = new Map<string, number>();
  const text = sql.replace(/'(?:[^']|'')*'|::|:([A-Za-z_]\w*)/g, (whole, name: string | undefined) => {
    if (!name) return whole;
    if (!byName.has(name)) throw new Error(`ValidationException: parameter ${name} has no value`);
    let n = order.get(name);
    if (n === undefined) {
      values.push(byName.get(name)!);
      n = values.length;
      order.set(name, n);
    }
    return `$${n}`;
  });
  return { text, values };
}
