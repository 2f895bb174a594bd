/**
 * Prometheus metrics (prom-client), served at GET /metrics. Labels are bounded: operation names,
 * statuses, connector types and flow names — never execution ids.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ConnectorMetrics } from "./connectors/types.ts";

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "sluice_api_requests_total",
    help: "API requests by operation and error type",
    labelNames: ["operation", "error_type"],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: "sluice_api_request_duration_seconds",
    help: "API request latency",
    labelNames: ["operation"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly throttled = new Counter({
    name: "sluice_api_throttled_total",
    help: "Requests answered ThrottlingException",
    labelNames: ["operation"],
    registers: [this.registry],
  });
  readonly runsStarted = new Counter({
    name: "sluice_runs_started_total",
    help: "Runs triggered",
    labelNames: ["flow", "trigger"],
    registers: [this.registry],
  });
  readonly runsFinished = new Counter({
    name: "sluice_runs_finished_total",
    help: "Runs that reached a terminal status",
    labelNames: ["flow", "status", "trigger"],
    registers: [this.registry],
  });
  readonly records = new Counter({
    name: "sluice_records_total",
    help: "Records processed and written by ended runs",
    labelNames: ["flow", "kind"],
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: "sluice_bytes_total",
    help: "Bytes processed and written by ended runs",
    labelNames: ["flow", "kind"],
    registers: [this.registry],
  });
  readonly runSeconds = new Histogram({
    name: "sluice_run_duration_seconds",
    help: "Run duration from trigger to terminal status",
    labelNames: ["status"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
    registers: [this.registry],
  });
  readonly cancelLatency = new Histogram({
    name: "sluice_cancel_latency_seconds",
    help: "Cancel latency: CancelFlowExecutions committed → run Canceled",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: "sluice_webhook_deliveries_total",
    help: "Run report deliveries to webhooks, by result",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly storeSeconds = new Histogram({
    name: "sluice_store_query_duration_seconds",
    help: "Store query latency by statement kind",
    labelNames: ["kind"],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly runsByState = new Gauge({
    name: "sluice_runs",
    help: "Runs in the store that are not finished: queued (no worker yet), executing, stopping (CancelStarted)",
    labelNames: ["state"],
    registers: [this.registry],
  });
  readonly runsActive = new Gauge({
    name: "sluice_runs_executing",
    help: "Runs executing in this process",
    registers: [this.registry],
  });

  private readonly connectorGauges = new Map<string, Gauge>();
  /** Gauges connectors report through ConnectorEnvironment.metrics, as sluice_connector_<name>. */
  readonly connectors: ConnectorMetrics = {
    gauge: (name, help, labels, value) => {
      const full = `sluice_connector_${name}`;
      let g = this.connectorGauges.get(full);
      if (!g) {
        g = new Gauge({ name: full, help, labelNames: Object.keys(labels), registers: [this.registry] });
        this.connectorGauges.set(full, g);
      }
      g.set(labels, value);
    },
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "sluice_process_" });
  }
}
