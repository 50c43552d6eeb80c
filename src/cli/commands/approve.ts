/** `bosun approve RUN`: approve a team run's plan (--gate-plan), then continue the run. */
import { StateError } from "../../errors.js";
import { readAsk, writeAnswer } from "../../human/asks.js";
import { resumeTeamRun } from "../../flows/team/team-run.js";
import { readRun, resolveRunId } from "../../store/run-read.js";
import type { CliContext } from "../context.js";
import { subscribePrinter } from "../printer.js";
import { reportTeamOutcome } from "./run.js";

/** Records the approval, then resumes the run in the foreground. */
export async function runApprove(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getPaths();
  const runId = await resolveRunId(paths, wanted);
  const run = await readRun(paths, runId);
  const askId = `ask-${runId}-plan`;
  if (run?.flow !== "team" || !run.openAskIds.includes(askId))
    throw new StateError(
      `Run ${runId} has no plan waiting for approval (only a team run started with --gate-plan does, once planned). See "bosun status ${runId}".`,
    );
  const { answer } = await readAsk(paths, askId);
  if (answer === null) await writeAnswer(paths, askId, "approve", { source: "cli" });
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
