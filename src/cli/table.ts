/** Plain-text tables and the pieces of a run's row: durations, sizes, the activity bar. */

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function duration(ms: number): string {
  if (ms < 0 || !Number.isFinite(ms)) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return "-";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/**
 * A run in progress: AppFlow's execution record carries no totals (how many records the source holds
 * is not known until it has been read), so the bar is an indeterminate one (a block sweeping once a
 * second while the run goes on) next to the throughput so far, not a percentage that would be made up.
 */
export function activityBar(records: number, elapsedMs: number, width = 10): string {
  const step = Math.floor(Math.max(0, elapsedMs) / 1000) % (2 * (width - 1));
  const pos = step < width ? step : 2 * (width - 1) - step;
  const cells = Array.from({ length: width }, (_, i) => (i === pos ? "=" : " ")).join("");
  const rate = elapsedMs > 0 ? Math.round((records * 1000) / elapsedMs) : 0;
  return `[${cells}] ${rate.toLocaleString("en-US")} rec/s`;
}
