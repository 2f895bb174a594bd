/**
 * A TCP proxy in front of the test PostgreSQL. While held, new connections are accepted and left
 * unanswered, so a request that opens one (a destination profile's connection test) is really in
 * the middle of its work for as long as the test needs.
 */
import { createConnection, createServer, type Socket } from "node:net";
import { PG_URL } from "./backends.ts";

export async function pgProxy() {
  const target = new URL(PG_URL);
  let held = false;
  const waiting: Socket[] = [];
  let arrived = () => {};
  const forward = (client: Socket) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  };
  const server = createServer((client) => {
    if (held) {
      waiting.push(client);
      client.on("error", () => {});
      arrived();
      return;
    }
    forward(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    /** Holds new connections; resolves when the first one arrives. */
    hold(): Promise<void> {
      held = true;
      return new Promise((r) => {
        arrived = r;
      });
    },
    /** Forwards again, the held connections too (what their clients sent meanwhile is buffered). */
    resume() {
      held = false;
      for (const s of waiting.splice(0)) forward(s);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
