/**
 * Opening a Redshift/PostgreSQL connection is cancellable at every moment. pg's `end()` on a client
 * still connecting leaves its connect() pending forever; connect() used to turn an abort into `end()`,
 * so a run cancelled while its destination connected stayed CancelStarted with 0 records (seen in
 * boto3-cancel's "cannot resume" case: the second run, cancelled right after StartFlow) until the
 * force period, and its worker slot was never freed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { connect, connectionTarget } from "../../src/connectors/redshift/redshift-connection.ts";
import { PG_URL } from "../helpers/backends.ts";
import { pgSkipReason } from "../helpers/store.ts";

const skip = await pgSkipReason("postgres");

function target(): ReturnType<typeof connectionTarget> {
  const url = new URL(PG_URL);
  return connectionTarget({
    connectorProfileName: "pg",
    connectorType: "Redshift",
    properties: { databaseUrl: `jdbc:redshift://${url.hostname}:${url.port || 5432}${url.pathname}` },
    credentials: { username: url.username || "postgres", password: "unused" },
  });
}

/** Settles with the outcome, or with "pending" if `p` has not settled by far past the connect timeout. */
async function outcome(p: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("pending"), 30_000);
  });
  try {
    return await Promise.race([
      p.then(
        () => "connected",
        (e: unknown) => `rejected: ${(e as Error).name}`,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test("a connect aborted while the client is connecting rejects with the abort reason", { skip }, async () => {
  const t = target();
  // Aborted at each early moment of the handshake: before the socket opens, and just after.
  for (const when of ["same tick", "next tick", "after a macrotask"] as const) {
    const ac = new AbortController();
    const p = connect(t, ac.signal);
    if (when === "next tick") await Promise.resolve();
    if (when === "after a macrotask") await new Promise((r) => setImmediate(r));
    ac.abort(Object.assign(new Error("cancelled"), { name: "AbortError" }));
    const got = await outcome(p);
    if (got === "connected") (await p).end().catch(() => {});
    assert.equal(got, "rejected: AbortError", `${when}: an abort during connect rejects`);
  }
});

test("an unaborted connect connects, and a connect after the abort is refused at once", {
  skip,
}, async () => {
  const c = await connect(target(), new AbortController().signal);
  assert.equal((await c.query("SELECT 1 AS one")).rows[0].one, 1);
  await c.end();
  const ac = new AbortController();
  ac.abort(Object.assign(new Error("cancelled"), { name: "AbortError" }));
  await assert.rejects(connect(target(), ac.signal), { name: "AbortError" });
});
