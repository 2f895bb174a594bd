/**
 * An HTTP proxy in front of an S3-compatible server (s3rver) that can hold one chosen request, so a
 * test can kill a real server process at a known point of its S3 commit:
 * - "before": the request is held unanswered and never forwarded (the object is not written);
 * - "after": it is forwarded and S3 answers (the object is written), but the answer is held back, so
 *   the process never learns its commit happened.
 * Everything else passes through. A held request stays held until its client goes away.
 */
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HeldRequest {
  method: string;
  url: string;
}

export interface S3Gate {
  endpoint: string;
  /** Holds the next request `match` accepts, at `phase`; resolves once it is held. */
  holdNext(match: (method: string, url: string) => boolean, phase: "before" | "after"): Promise<HeldRequest>;
  close(): Promise<void>;
}

export async function startS3Gate(target: string): Promise<S3Gate> {
  const upstream = new URL(target);
  let rule:
    | {
        match: (m: string, u: string) => boolean;
        phase: "before" | "after";
        held: (h: HeldRequest) => void;
      }
    | undefined;
  const server: Server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const r = rule?.match(method, url) ? rule : undefined;
    if (r) rule = undefined;
    if (r?.phase === "before") {
      req.resume();
      r.held({ method, url });
      return;
    }
    const fwd = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: url,
        headers: req.headers,
        // No kept-alive sockets to the upstream: they would hold its close() open.
        agent: false,
      },
      (up: IncomingMessage) => {
        if (r) {
          // S3 has committed; the client never hears of it.
          up.resume();
          up.once("end", () => r.held({ method, url }));
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on("error", () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    holdNext(match, phase) {
      return new Promise((held) => {
        rule = { match, phase, held };
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
