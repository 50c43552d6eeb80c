/**
 * The pulse benchmark alone (`node scripts/bench.mjs bench/pulse-main.ts`): one beat's own
 * overhead and an idle daemon's model calls and CPU, without the rest of `npm run bench`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { benchPulse } from "./pulse.js";

const dir = await mkdtemp(path.join(os.tmpdir(), "bosun-bench-pulse-"));
try {
  await benchPulse(dir, (line) => process.stdout.write(`${line}\n`));
} finally {
  await rm(dir, { recursive: true, force: true });
}
