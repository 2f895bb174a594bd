/**
 * A worker thread's body for the Parquet writer tests: writes rows into a DuckDB-backed Parquet encoder,
 * posts the DuckDB process's file prefix, then "closing" and starts the (long) close. The test
 * terminates the thread while DuckDB is writing.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FieldValue } from "../../src/connectors/types.ts";
import { duckdbProcess } from "../../src/formats/duckdb-process.ts";
import { ParquetEncoder } from "../../src/formats/parquet-writer.ts";

const { tempDir } = workerData as { tempDir: string };
const enc = new ParquetEncoder({ write() {} }, false, tempDir);
const rows: FieldValue[][] = Array.from({ length: 10_000 }, (_, i) => [`${i}`, `v${(i * 7919) % 100_003}`]);
for (let k = 0; k < 100; k++) await enc.write(["a", "b"], rows);
parentPort!.postMessage({ prefix: duckdbProcess(tempDir).filePrefix });
parentPort!.postMessage("closing");
await enc.close();
parentPort!.postMessage("closed");
