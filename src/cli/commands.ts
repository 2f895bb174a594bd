/**
 * `sluice flows | runs | start | cancel`: day-to-day commands over the AppFlow API. Human tables by
 * default, `--json` for scripts (the API's own shapes, one JSON document, or one per refresh with
 * `runs --watch`).
 */
import type { AppflowClient, ExecutionRecord, FlowDefinition } from "@aws-sdk/client-appflow";
import type { Command } from "commander";
import type { ClientOptions } from "./client.ts";
import { activityBar, bytes, duration, table } from "./table.ts";

interface Common extends ClientOptions {
  json?: boolean;
}

const sdk = () => import("@aws-sdk/client-appflow");
const ACTIVE = new Set(["InProgress", "CancelStarted"]);

/** Adds the client options every API command takes. */
function apiCommand(program: Command, spec: string, description: string): Command {
  return program
    .command(spec)
    .description(description)
    .option("--endpoint <url>", "Sluice's URL (env SLUICE_ENDPOINT, default http://127.0.0.1:4747)")
    .option("--region <region>", "signing region (env AWS_REGION / AWS_DEFAULT_REGION, default us-east-1)")
    .option("--profile <name>", "AWS profile for credentials (env AWS_PROFILE)")
    .option("--json", "print the API's JSON instead of a table");
}

const print = (s: string): void => {
  process.stdout.write(`${s}\n`);
};
const json = (v: unknown): void => print(JSON.stringify(v, null, 2));
const stripMetadata = <T extends { $metadata?: unknown }>(r: T): Omit<T, "$metadata"> => {
  const { $metadata: _, ...rest } = r;
  return rest;
};

/** Runs an action with a client, always releasing its sockets. */
function withClient<A extends unknown[]>(fn: (client: AppflowClient, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const opts = args.at(-2) as Common;
    // The SDK loads only for the commands that use it (`serve` and `--help` start faster).
    const { makeClient } = await import("./client.ts");
    const client = makeClient(opts);
    try {
      await fn(client, ...args);
    } finally {
      client.destroy();
    }
  };
}

export function addClientCommands(program: Command): void {
  apiCommand(program, "flows", "list the flows").action(
    withClient(async (client, opts: Common) => {
      const flows: FlowDefinition[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new (await sdk()).ListFlowsCommand({ nextToken }));
        flows.push(...(page.flows ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      if (opts.json) return json({ flows });
      if (flows.length === 0) return print("no flows");
      print(
        table(
          ["NAME", "STATUS", "TRIGGER", "SOURCE", "DESTINATION", "LAST RUN"],
          flows.map((f) => [
            f.flowName ?? "",
            f.flowStatus ?? "",
            f.triggerType ?? "",
            f.sourceConnectorType ?? "",
            f.destinationConnectorType ?? "",
            f.lastRunExecutionDetails?.mostRecentExecutionStatus ?? "-",
          ]),
        ),
      );
    }),
  );

  apiCommand(program, "runs <flow>", "show a flow's runs, newest first")
    .option("--watch", "refresh until interrupted (Ctrl-C)")
    .option("--interval <seconds>", "refresh interval with --watch", "1")
    .option("--max <n>", "how many runs to show", "20")
    .action(
      withClient(
        async (client, flow: string, opts: Common & { watch?: boolean; interval: string; max: string }) => {
          const max = Number(opts.max);
          const interval = Number(opts.interval);
          if (!Number.isInteger(max) || max < 1 || max > 100)
            throw new Error("--max must be an integer from 1 to 100");
          if (!(interval >= 0.1 && interval <= 3600))
            throw new Error("--interval must be from 0.1 to 3600 seconds");
          const fetchRuns = async () =>
            (
              await client.send(
                new (
                  await sdk()
                ).DescribeFlowExecutionRecordsCommand({ flowName: flow, maxResults: max }),
              )
            ).flowExecutions ?? [];
          if (!opts.watch) {
            const runs = await fetchRuns();
            return opts.json ? json({ flowExecutions: runs }) : print(runsTable(runs, Date.now()));
          }
          const tty = process.stdout.isTTY === true && !opts.json;
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once("SIGINT", onSignal);
          process.once("SIGTERM", onSignal);
          try {
            while (!stop.signal.aborted) {
              const runs = await fetchRuns();
              const at = new Date();
              if (opts.json) print(JSON.stringify({ at: at.toISOString(), flowExecutions: runs }));
              else {
                // On a terminal redraw in place; piped, print each refresh after the last.
                if (tty) process.stdout.write("\x1b[H\x1b[2J");
                print(
                  `${flow} — ${at.toLocaleTimeString()} (Ctrl-C to stop)\n${runsTable(runs, at.getTime())}\n`,
                );
              }
              await sleep(interval * 1000, stop.signal);
            }
          } finally {
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
          }
        },
      ),
    );

  apiCommand(program, "start <flow>", "start a run of an on-demand flow")
    .option("--client-token <token>", "idempotency token: the same token starts one run")
    .option("--wait", "wait for the run to end; exit 0 only if it is Successful")
    .action(
      withClient(async (client, flow: string, opts: Common & { clientToken?: string; wait?: boolean }) => {
        const { DescribeFlowExecutionRecordsCommand, StartFlowCommand } = await sdk();
        const r = await client.send(new StartFlowCommand({ flowName: flow, clientToken: opts.clientToken }));
        if (!opts.wait) {
          if (opts.json) return json(stripMetadata(r));
          return print(`started ${flow}: execution ${r.executionId ?? "(none)"} (${r.flowStatus ?? ""})`);
        }
        if (!opts.json) print(`started ${flow}: execution ${r.executionId}; waiting for it to end`);
        let run: ExecutionRecord | undefined;
        for (;;) {
          const page = await client.send(
            new DescribeFlowExecutionRecordsCommand({ flowName: flow, maxResults: 100 }),
          );
          run = page.flowExecutions?.find((e) => e.executionId === r.executionId);
          if (run && !ACTIVE.has(run.executionStatus ?? "")) break;
          await sleep(500, new AbortController().signal);
        }
        if (opts.json) json(run);
        else print(runsTable([run], Date.now()));
        if (run.executionStatus !== "Successful") process.exitCode = 1;
      }),
    );

  apiCommand(program, "cancel <flow> [executionIds...]", "cancel runs of a flow: the ids given, or --all")
    .option("--all", "cancel every run of the flow in progress")
    .action(
      withClient(async (client, flow: string, ids: string[], opts: Common & { all?: boolean }) => {
        if (ids.length > 0 && opts.all) throw new Error("give execution ids or --all, not both");
        if (ids.length === 0 && !opts.all) throw new Error("name the execution ids to cancel, or --all");
        const r = await client.send(
          new (await sdk()).CancelFlowExecutionsCommand({
            flowName: flow,
            executionIds: opts.all ? undefined : ids,
          }),
        );
        if (opts.json) return json(stripMetadata(r));
        const invalid = r.invalidExecutions ?? [];
        print(
          invalid.length === 0
            ? `cancel requested for ${opts.all ? "every run in progress" : ids.join(", ")}`
            : `cancel requested; not cancellable: ${invalid.join(", ")}`,
        );
        if (invalid.length > 0) process.exitCode = 2;
      }),
    );
}

export function runsTable(runs: ExecutionRecord[], now: number): string {
  if (runs.length === 0) return "no runs";
  return table(
    ["EXECUTION ID", "STATUS", "RECORDS", "BYTES", "DURATION", "PROGRESS"],
    runs.map((r) => {
      const started = r.startedAt?.getTime();
      const active = ACTIVE.has(r.executionStatus ?? "");
      const end = active ? now : (r.lastUpdatedAt?.getTime() ?? now);
      const elapsed = started === undefined ? Number.NaN : end - started;
      const res = r.executionResult;
      const records = res?.recordsProcessed ?? 0;
      return [
        r.executionId ?? "",
        r.executionStatus ?? "",
        records.toLocaleString("en-US"),
        bytes(res?.bytesWritten ?? res?.bytesProcessed),
        duration(elapsed),
        r.executionStatus === "InProgress"
          ? activityBar(records, elapsed)
          : r.executionStatus === "Error"
            ? (res?.errorInfo?.executionMessage ?? "")
            : "",
      ];
    }),
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
