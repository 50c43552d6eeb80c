/**
 * The dashboard benchmark alone (`node scripts/bench.mjs bench/dashboard-main.ts`): the server's
 * figures and the page's in Chromium, without the rest of `npm run bench`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { benchDashboard } from "./dashboard.js";

const dir = await mkdtemp(path.join(os.tmpdir(), "bosun-bench-dashboard-"));
try {
  await benchDashboard(dir, (line) => process.stdout.write(`${line}\n`));
} finally {
  await rm(dir, { recursive: true, force: true });
}
