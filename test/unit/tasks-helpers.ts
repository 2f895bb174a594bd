import type { FieldValue } from "../../src/connectors/types.ts";
import type { Task } from "../../src/domain/flow.ts";
import { compileTasks } from "../../src/tasks/index.ts";

export const s3 = (operator: string) => ({ S3: operator });

export function task(
  taskType: Task["taskType"],
  sourceFields: string[],
  operator?: string,
  taskProperties?: Record<string, string>,
  destinationField?: string,
): Task {
  const t: Task = { taskType, sourceFields };
  if (operator !== undefined) t.connectorOperator = s3(operator);
  if (taskProperties !== undefined) t.taskProperties = taskProperties;
  if (destinationField !== undefined) t.destinationField = destinationField;
  return t;
}

/** Compiles `tasks` and runs them over one batch (rows are copied: apply may write into them). */
export function run(tasks: Task[], fields: string[], rows: FieldValue[][]) {
  const out = compileTasks(tasks).apply({ fields, rows: rows.map((r) => [...r]), bytes: 42 });
  return { fields: out.batch.fields, rows: out.batch.rows, dropped: out.dropped, batch: out.batch };
}

/** The values one Map task with the given types makes of `values`. */
export function mapValues(
  values: FieldValue[],
  sourceType: string | undefined,
  destinationType: string,
): FieldValue[] {
  const props: Record<string, string> = { DESTINATION_DATA_TYPE: destinationType };
  if (sourceType !== undefined) props.SOURCE_DATA_TYPE = sourceType;
  const out = run(
    [task("Map", ["v"], "NO_OP", props, "w")],
    ["v"],
    values.map((v) => [v]),
  );
  return out.rows.map((r) => r[0] ?? null);
}
