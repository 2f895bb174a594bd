/**
 * A module and everything it imports as one plain-JavaScript ESM module, in a data: URL. Threads that
 * load only a small self-contained module (the chunk pool's) start from it instead of registering tsx:
 * loading TypeScript through tsx cost each such thread seconds on a busy machine and ~25 MB, for
 * modules that import nothing but Node's own. esbuild (tsx's compiler) bundles in tens of
 * milliseconds, once per module per thread that asks.
 */
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const bundles = new Map<string, URL>();

/** `entry` bundled; it and its imports must need nothing from node_modules at run time. */
export function bundled(entry: URL): URL {
  let url = bundles.get(entry.href);
  if (!url) {
    const out = buildSync({
      entryPoints: [fileURLToPath(entry)],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      logLevel: "silent",
    });
    // Stack traces name the entry (with the bundle's line numbers) instead of a long data: URL.
    const code = `${out.outputFiles[0]!.text}\n//# sourceURL=${entry.href}`;
    url = new URL(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
    bundles.set(entry.href, url);
  }
  return url;
}
