/** How a `bosun pipeline` call ended, printed and mapped to an exit code. */
import path from "node:path";
import { createBosunPaths } from "../../store/paths.js";
import type { PipelineRun } from "../../store/schema/run.js";
import type { CliContext } from "../context.js";
import { getExitCode } from "../exit-code.js";
import { formatStatus } from "../format.js";

/** A pipeline run as a call left it. */
export interface PipelineOutcomeView {
  /** The last run of the call (a follow-up, when one started). */
  run: PipelineRun;
  /** True when the process stopped with the run unfinished. */
  isPaused: boolean;
}

/** Prints the ending and maps it to an exit code (as `bosun review` does). */
export function reportPipelineOutcome(ctx: CliContext, outcome: PipelineOutcomeView): number {
  const { run } = outcome;
  if (ctx.isJson)
    process.stdout.write(
      `${JSON.stringify({ type: "pipeline.result", run, isPaused: outcome.isPaused })}\n`,
    );
  else {
    const where = run.phase === undefined ? "" : ` · ${run.phase} iteration ${run.round}`;
    const lines = [`${formatStatus(run.status)} run ${run.id} (task ${run.taskId})${where}`];
    if (run.reason !== undefined && run.status !== "succeeded") lines.push(run.reason);
    if (outcome.isPaused) lines.push(`Paused. Continue with: bosun pipeline --resume ${run.id}`);
    const askId = run.openAskIds[0];
    // The reason above names the answers the ask takes (retry|abort for a blocked pair).
    if (run.status === "needs_human" && askId !== undefined)
      lines.push(
        `A human is needed: bosun asks shows the question, bosun answer ${askId} … answers it`,
      );
    if (run.status === "failed") lines.push(describeNextMove(run));
    const paths = createBosunPaths(".");
    lines.push(`Files: ${path.relative(paths.root, paths.runDir(run.id))}`);
    process.stderr.write(`${lines.join("\n")}\n`);
  }
  return getExitCode(ctx, outcome);
}

/** What a human can do about a failed run, by why it failed. */
function describeNextMove(run: PipelineRun): string {
  const reason = run.reason ?? "";
  if (reason.includes("(--max-iterations)"))
    return `To give it more: bosun pipeline --resume ${run.id} --max-iterations ${run.options.maxIterations + 5}`;
  if (reason.includes("--followup-depth"))
    return `To let a follow-up take the gaps on: bosun pipeline --resume ${run.id} --followup-depth ${run.options.followupDepth + 1}`;
  if (reason.includes("no valid verdict"))
    return `Resuming cannot change that; start a new run of the task: bosun pipeline --task-id ${run.taskId} --intent-mode append --intent "…"`;
  return `Fix the cause, then: bosun pipeline --resume ${run.id}`;
}
