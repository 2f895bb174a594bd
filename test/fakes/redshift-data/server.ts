/**
 * A fake of the Amazon Redshift Data API for tests (never shipped): the AWS JSON 1.1 protocol
 * (POST /, `X-Amz-Target: RedshiftData.<Operation>`, `application/x-amz-json-1.1`), the operations
 * Sluice uses — ExecuteStatement, DescribeStatement, GetStatementResult, CancelStatement — with the
 * documented members, statuses (SUBMITTED → PICKED → STARTED → FINISHED | FAILED | ABORTED) and error
 * shapes (`{"__type": "ValidationException", "Message": …}`). Statements run on the shared PostgreSQL in
 * the test's schema; Redshift's `COPY t FROM 's3://bucket/key' IAM_ROLE '…' FORMAT AS CSV` reads the
 * object from the given object store (s3rver) and loads it with COPY FROM STDIN, in one transaction.
 * Requests must be SigV4-signed with the configured access key id (the signature itself isn't checked).
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { ObjectStore } from "../../../src/connectors/s3/object-store.ts";
import { bindParameters, parseS3Copy } from "./sql.ts";

type Status = "SUBMITTED" | "PICKED" | "STARTED" | "FINISHED" | "FAILED" | "ABORTED";

export interface Statement {
  id: string;
  sql: string;
  status: Status;
  error?: string;
  clientToken?: string;
  target: { ClusterIdentifier?: string; WorkgroupName?: string; Database: string; DbUser?: string };
  createdAt: number;
  updatedAt: number;
  durationNs: number;
  resultRows: number;
  result?: pg.QueryResult;
  pid?: number;
  /** Settles when the statement's work is over (whatever its status). */
  settled?: Promise<void>;
}

export interface CopyRecord {
  table: string;
  bucket: string;
  key: string;
  iamRole: string;
  rows: number;
  sql: string;
}

export interface FakeOptions {
  /** The schema statements run in (search_path). */
  schema: string;
  /** Where COPY FROM 's3://…' reads objects. */
  store: ObjectStore;
  clusters?: string[];
  workgroups?: string[];
  /** IAM roles COPY may assume; any other is refused as Redshift does. */
  iamRoles: string[];
  accessKeyId?: string;
  /** Time a statement stays SUBMITTED/PICKED before it starts. */
  startDelayMs?: number;
}

export interface RedshiftDataFake {
  endpoint: string;
  statements: Statement[];
  copies: CopyRecord[];
  /** The next `n` calls of `operation` answer 500 InternalServerException. */
  failNext(operation: string, n: number): void;
  /** Open client connections (keep-alive sockets included). */
  connections(): Promise<number>;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const ID_RE = /^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$/;

export async function startRedshiftDataFake(o: FakeOptions): Promise<RedshiftDataFake> {
  const pool = new pg.Pool({
    host: "127.0.0.1",
    port: 5432,
    user: "postgres",
    database: "test",
    max: 4,
    options: `-c search_path=${o.schema}`,
  });
  pool.on("error", () => {});
  const statements: Statement[] = [];
  const copies: CopyRecord[] = [];
  const failures = new Map<string, number>();
  const clusters = new Set(o.clusters ?? ["sluice-cluster"]);
  const workgroups = new Set(o.workgroups ?? ["sluice-wg"]);

  const find = (id: unknown): Statement => {
    if (typeof id !== "string" || !ID_RE.test(id))
      throw new ApiError(
        "ValidationException",
        400,
        "1 validation error detected: Value at 'id' failed to satisfy constraint",
      );
    const s = statements.find((x) => x.id === id);
    if (!s) throw new ApiError("ResourceNotFoundException", 400, `Query does not exist.`, { ResourceId: id });
    return s;
  };
  const set = (s: Statement, status: Status, error?: string) => {
    s.status = status;
    s.updatedAt = Date.now();
    if (error !== undefined) s.error = error;
  };

  async function run(s: Statement): Promise<void> {
    await new Promise((r) => setTimeout(r, o.startDelayMs ?? 0));
    if (s.status !== "SUBMITTED") return; // cancelled before it was picked
    set(s, "PICKED");
    const client = await pool.connect();
    try {
      s.pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      if ((s.status as Status) === "ABORTED") return;
      set(s, "STARTED");
      const t0 = process.hrtime.bigint();
      const copy = parseS3Copy(s.sql);
      if (copy) await runCopy(client, s, copy);
      else {
        const { text, values } = bindParameters(
          s.sql,
          (s as { params?: { name: string; value: string }[] }).params,
        );
        s.result = await client.query({ text, values });
        s.resultRows = s.result.rowCount ?? s.result.rows.length;
      }
      s.durationNs = Number(process.hrtime.bigint() - t0);
      if ((s.status as Status) !== "ABORTED") set(s, "FINISHED");
    } catch (e) {
      if ((s.status as Status) === "ABORTED") return;
      set(
        s,
        "FAILED",
        (e as Error).message.startsWith("ERROR:") ? (e as Error).message : `ERROR: ${(e as Error).message}`,
      );
    } finally {
      client.release();
    }
  }

  async function runCopy(
    client: pg.PoolClient,
    s: Statement,
    c: NonNullable<ReturnType<typeof parseS3Copy>>,
  ) {
    const user = s.target.DbUser ?? "IAMR:sluice";
    if (!c.iamRole)
      throw new Error("ERROR: Invalid credentials. Must be of the format: credentials 'aws_iam_role=...'");
    if (!o.iamRoles.includes(c.iamRole))
      throw new Error(
        `ERROR: User arn:aws:redshift:us-east-1:000000000000:dbuser:${s.target.ClusterIdentifier ?? s.target.WorkgroupName}/${user} is not authorized to assume IAM Role ${c.iamRole}`,
      );
    if (c.format !== "CSV")
      throw new Error(
        `ERROR: this fake loads FORMAT AS CSV only, not ${c.format ?? "the default text format"}`,
      );
    const unknown = c.options.filter((x) => !/^(TIMEFORMAT|DATEFORMAT) /.test(x));
    if (unknown.length > 0)
      throw new Error(`ERROR: this fake does not support COPY options ${unknown.join(", ")}`);
    const info = await o.store.head(c.bucket, c.key, AbortSignal.timeout(30_000));
    if (!info) throw new Error(`ERROR: The specified S3 prefix '${c.key}' does not exist`);
    const body = await o.store.get(c.bucket, c.key, AbortSignal.timeout(30_000));
    const cols = c.columns ? ` (${c.columns})` : "";
    await client.query("BEGIN");
    try {
      const stream = client.query(copyFrom(`COPY ${c.table}${cols} FROM STDIN WITH (FORMAT csv)`));
      await new Promise<void>((resolve, reject) => {
        stream.on("finish", resolve);
        stream.on("error", reject);
        body.on("error", reject);
        body.pipe(stream);
      });
      const rows = (stream as unknown as { rowCount?: number }).rowCount ?? 0;
      await client.query("COMMIT");
      s.resultRows = rows;
      copies.push({ table: c.table, bucket: c.bucket, key: c.key, iamRole: c.iamRole, rows, sql: s.sql });
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  }

  const ops: Record<string, (b: Record<string, unknown>) => Promise<unknown> | unknown> = {
    ExecuteStatement(b) {
      if (typeof b.Sql !== "string" || b.Sql === "")
        throw new ApiError(
          "ValidationException",
          400,
          "1 validation error detected: Value null at 'sql' failed to satisfy constraint: Member must not be null",
        );
      if (typeof b.Database !== "string")
        throw new ApiError("ValidationException", 400, "Database is required");
      const cluster = b.ClusterIdentifier as string | undefined;
      const wg = b.WorkgroupName as string | undefined;
      if ((cluster === undefined) === (wg === undefined))
        throw new ApiError(
          "ValidationException",
          400,
          "Either ClusterIdentifier or WorkgroupName is required, not both",
        );
      if (cluster !== undefined && !clusters.has(cluster))
        throw new ApiError("ValidationException", 400, "Redshift endpoint doesn't exist in this region.");
      if (wg !== undefined && !workgroups.has(wg))
        throw new ApiError("ValidationException", 400, "Redshift endpoint doesn't exist in this region.");
      if (cluster !== undefined && b.DbUser === undefined && b.SecretArn === undefined)
        throw new ApiError(
          "ValidationException",
          400,
          "Either DbUser or SecretArn is required for a provisioned cluster",
        );
      const token = b.ClientToken as string | undefined;
      const again = token ? statements.find((x) => x.clientToken === token) : undefined;
      const s: Statement = again ?? {
        id: randomUUID(),
        sql: b.Sql,
        status: "SUBMITTED",
        clientToken: token,
        target: {
          ClusterIdentifier: cluster,
          WorkgroupName: wg,
          Database: b.Database,
          DbUser: b.DbUser as string | undefined,
        },
        createdAt: Date.now(),
        updatedAt: Date.now(),
        durationNs: -1,
        resultRows: -1,
      };
      if (!again) {
        (s as { params?: unknown }).params = b.Parameters;
        statements.push(s);
        s.settled = run(s);
      }
      return {
        Id: s.id,
        CreatedAt: s.createdAt / 1000,
        Database: s.target.Database,
        DbUser: s.target.DbUser,
        ClusterIdentifier: cluster,
        WorkgroupName: wg,
      };
    },
    DescribeStatement(b) {
      const s = find(b.Id);
      return {
        Id: s.id,
        Status: s.status,
        QueryString: s.sql,
        CreatedAt: s.createdAt / 1000,
        UpdatedAt: s.updatedAt / 1000,
        Duration: s.durationNs,
        HasResultSet: s.result !== undefined && s.result.fields.length > 0,
        ResultRows: s.resultRows,
        ResultSize: s.result ? JSON.stringify(s.result.rows).length : 0,
        ...(s.pid ? { RedshiftPid: s.pid } : {}),
        ...(s.error ? { Error: s.error } : {}),
        ...s.target,
      };
    },
    GetStatementResult(b) {
      const s = find(b.Id);
      if (s.status !== "FINISHED" || !s.result || s.result.fields.length === 0)
        throw new ApiError(
          "ResourceNotFoundException",
          400,
          "Query does not have result. Please check query status with DescribeStatement.",
          { ResourceId: s.id },
        );
      return {
        ColumnMetadata: s.result.fields.map((f) => ({
          name: f.name,
          label: f.name,
          typeName: typeName(f.dataTypeID),
        })),
        Records: s.result.rows.map((r: Record<string, unknown>) =>
          s.result!.fields.map((f) => field(r[f.name], f.dataTypeID)),
        ),
        TotalNumRows: s.result.rows.length,
      };
    },
    async CancelStatement(b) {
      const s = find(b.Id);
      if (!["SUBMITTED", "PICKED", "STARTED"].includes(s.status))
        throw new ApiError(
          "ValidationException",
          400,
          `Could not cancel a query that is already in ${s.status} state.`,
        );
      set(s, "ABORTED");
      // As Redshift does, the statement is cancelled whatever it is doing: pg_cancel_backend only stops the
      // query running at that instant, so it is repeated until the statement's work is over (a cancel that
      // lands between two of its queries, or before its first, would otherwise be lost).
      void (async () => {
        let over = false;
        void s.settled?.then(() => {
          over = true;
        });
        while (!over && s.settled) {
          if (s.pid) await pool.query("SELECT pg_cancel_backend($1)", [s.pid]).catch(() => {});
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      return { Status: true };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        try {
          const target = String(req.headers["x-amz-target"] ?? "");
          const op = target.startsWith("RedshiftData.") ? target.slice("RedshiftData.".length) : "";
          const auth = String(req.headers.authorization ?? "");
          if (!auth.startsWith("AWS4-HMAC-SHA256 "))
            throw new ApiError("MissingAuthenticationTokenException", 400, "Missing Authentication Token");
          if (o.accessKeyId && !auth.includes(`Credential=${o.accessKeyId}/`))
            throw new ApiError(
              "UnrecognizedClientException",
              400,
              "The security token included in the request is invalid.",
            );
          const handler = ops[op];
          if (req.method !== "POST" || !handler)
            throw new ApiError("UnknownOperationException", 400, `Unknown operation ${target}`);
          const left = failures.get(op) ?? 0;
          if (left > 0) {
            failures.set(op, left - 1);
            throw new ApiError(
              "InternalServerException",
              500,
              "The request processing has failed because of an unknown error, exception or failure.",
            );
          }
          const body = chunks.length
            ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
            : {};
          send(res, 200, await handler(body));
        } catch (e) {
          if (e instanceof ApiError) send(res, e.status, { __type: e.type, Message: e.message, ...e.extra });
          else send(res, 500, { __type: "InternalServerException", Message: String(e) });
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    statements,
    copies,
    failNext: (op, n) => failures.set(op, n),
    connections: () => new Promise((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n)))),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await pool.end();
    },
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() });
  res.end(text);
}

function typeName(oid: number): string {
  return (
    (
      {
        16: "bool",
        20: "int8",
        21: "int2",
        23: "int4",
        700: "float4",
        701: "float8",
        1700: "numeric",
      } as Record<number, string>
    )[oid] ?? "varchar"
  );
}

function field(v: unknown, oid: number): Record<string, unknown> {
  if (v === null || v === undefined) return { isNull: true };
  if (oid === 16) return { booleanValue: Boolean(v) };
  if (oid === 20 || oid === 21 || oid === 23) return { longValue: Number(v) };
  if (oid === 700 || oid === 701) return { doubleValue: Number(v) };
  return { stringValue: v instanceof Date ? v.toISOString() : String(v) };
}
