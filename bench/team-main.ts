/**
 * The team-run benchmarks alone (`node scripts/bench.mjs bench/team-main.ts`): the 200-task run,
 * bosun's CPU while agents work and the 1,000-task state, without the rest of `npm run bench`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { benchTeam } from "./team.js";

const dir = await mkdtemp(path.join(os.tmpdir(), "bosun-bench-team-"));
try {
  await benchTeam(dir, (line) => process.stdout.write(`${line}\n`));
} finally {
  await rm(dir, { recursive: true, force: true });
}
