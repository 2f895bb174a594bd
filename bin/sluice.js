#!/usr/bin/env node
// Loads the TypeScript CLI through tsx in this same process (no child): signals sent to this pid, as a
// process manager or `npm start` sends them, reach the server itself.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
