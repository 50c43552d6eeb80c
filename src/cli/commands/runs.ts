/** `bosun runs`: every run in this repository, oldest first. */
import { listRunIds, readRun } from "../../store/run-read.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import type { Run } from "../../store/schema/run.js";
import type { CliContext } from "../context.js";
import { formatTable, formatUsd, oneLine, printJson } from "../format.js";
import { formatStatus } from "../printer.js";

/** Lists runs. */
export async function runRuns(ctx: CliContext): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runs: Array<Run & { isLive: boolean }> = [];
  for (const id of await listRunIds(paths)) {
    const run = await readRun(paths, id);
    if (run === null) continue;
    // Only an unfinished run can have a writer; the others need no lock read.
    const isUnfinished = run.status === "running" || run.status === "paused";
    const isLive = isUnfinished && (await readLiveLockHolder(paths.lockFile(id))) !== undefined;
    runs.push({ ...run, isLive });
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
    // "running" on disk with no process behind it: bosun was killed; --resume continues it.
    run.status === "running" && !run.isLive
      ? formatStatus("interrupted")
      : formatStatus(run.status),
    describeProgress(run),
    formatUsd(run.costUsd),
    oneLine(run.flow === "team" ? run.title : `${run.taskId}: ${run.title}`, 60),
  ]);
  process.stdout.write(`${formatTable(rows)}\n`);
  return 0;
}

/** Where a run is: a review's round, a pipeline's stage and iteration, a team run's flow name. */
function describeProgress(run: Run): string {
  if (run.flow === "review") return `round ${run.round}/${run.options.maxRounds}`;
  if (run.flow === "pipeline")
    return run.phase === undefined ? "pipeline" : `${run.phase} #${run.round}`;
  return run.flow;
}
