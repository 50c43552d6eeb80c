/** `bosun approve RUN`: approve a team run's plan (--gate-plan), then continue the run. */
import { approvePlan } from "../../flows/run-control.js";
import { resumeTeamRun } from "../../flows/team/team-run.js";
import { resolveRunId } from "../../store/run-read.js";
import type { CliContext } from "../context.js";
import { subscribePrinter } from "../printer.js";
import { reportTeamOutcome } from "./run.js";

/** Records the approval, then resumes the run in the foreground. */
export async function runApprove(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getPaths();
  const runId = await resolveRunId(paths, wanted);
  await approvePlan(paths, runId, { source: "cli" });
  const { config } = await ctx.getConfig();
  const outcome = await resumeTeamRun({
    paths,
    config,
    runId,
    signal: ctx.signal,
    onEvent: subscribePrinter(ctx, { showTaskIds: true }),
  });
  return reportTeamOutcome(ctx, outcome);
}
