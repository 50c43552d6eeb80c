/** `bosun clean RUN [--force]`: remove a team run's worktrees and merged branches, never losing work. */
import { cleanTeamRun } from "../../flows/team/team-clean.js";
import { resolveRunId } from "../../store/run-read.js";
import type { CliContext } from "../context.js";
import { printJson } from "../format.js";

/** Cleans; exit 0 when every worktree went, 1 when one was kept (unmerged work: pass --force). */
export async function runClean(
  ctx: CliContext,
  wanted: string,
  options: { force?: boolean },
): Promise<number> {
  const paths = await ctx.getPaths();
  const runId = await resolveRunId(paths, wanted);
  const cleaned = await cleanTeamRun({
    paths,
    runId,
    isForced: options.force === true,
    // The removals are printed below, once; the journal gets them too.
    onEvent: () => undefined,
  });
  if (ctx.isJson) printJson(cleaned);
  else {
    for (const task of cleaned) {
      const what =
        task.worktree === "refused"
          ? `kept: ${task.reason ?? ""}`
          : `worktree ${task.worktree}${task.snapshotRef === undefined ? "" : ` (uncommitted work saved as ${task.snapshotRef})`}${task.isBranchDeleted ? ", merged branch deleted" : ", branch kept"}`;
      process.stdout.write(`${task.taskId.padEnd(16)} ${what}\n`);
    }
    if (cleaned.length === 0) process.stdout.write(`Run ${runId} has no worktrees left.\n`);
  }
  return cleaned.some((task) => task.worktree === "refused") ? 1 : 0;
}
