/** `bosun runs`: every run in this repository, oldest first. */
import { listRunIds, readRun } from "../../store/run-read.js";
import type { Run } from "../../store/schema/run.js";
import type { CliContext } from "../context.js";
import { formatTable, formatUsd, oneLine, printJson } from "../format.js";
import { formatStatus } from "../printer.js";

/** Lists runs. */
export async function runRuns(ctx: CliContext): Promise<number> {
  const paths = await ctx.getPaths();
  const runs: Run[] = [];
  for (const id of await listRunIds(paths)) {
    const run = await readRun(paths, id);
    if (run !== null) runs.push(run);
  }
  if (ctx.isJson) {
    printJson(runs);
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write(
      'No runs yet. Start one with: bosun review --goal "…"  (or try bosun demo)\n',
    );
    return 0;
  }
  const rows = runs.map((run) => [
    run.id,
    formatStatus(run.status),
    `round ${run.round}/${run.options.maxRounds}`,
    formatUsd(run.costUsd),
    oneLine(`${run.taskId}: ${run.title}`, 60),
  ]);
  process.stdout.write(`${formatTable(rows)}\n`);
  return 0;
}
