/**
 * The clock every lease time (claim, renewal, the reaper's expiry check) is read from. On PostgreSQL
 * several nodes share the runs: the database's clock (`now()`) is the one clock they all agree on, so
 * a node whose clock runs ahead can't reap healthy runs of another, nor one running behind keep a dead
 * node's runs alive. SQLite has one process per data dir: its clock is the only one (and tests inject it).
 */
import { type RawBuilder, sql } from "kysely";
import type { StoreCapabilities } from "../open-store.ts";

/** "Now" in epoch milliseconds for lease arithmetic: the database's on PostgreSQL, else `now`. */
export function leaseNow(caps: StoreCapabilities, now: number): RawBuilder<number> {
  return caps.dialect === "postgres"
    ? sql<number>`(extract(epoch from now()) * 1000)::bigint`
    : sql<number>`${now}`;
}

/** The expiry of a lease taken or renewed now. */
export function leaseUntil(caps: StoreCapabilities, now: number, leaseMs: number): RawBuilder<number> {
  return sql<number>`${leaseNow(caps, now)} + ${leaseMs}`;
}
