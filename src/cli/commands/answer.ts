/** `bosun answer ASK ANSWER`: record a human's answer, then continue the run that asked. */
import { lstat } from "node:fs/promises";
import { UsageError, isNodeError } from "../../errors.js";
import { recordAnswer } from "../../flows/human-actions.js";
import { isSafeId } from "../../store/paths.js";
import { getResumeCommand, resumeRun } from "../../flows/registry.js";
import { readRun } from "../../store/run-read.js";
import { PULSE_ASK_RUN_ID } from "../../store/schema/asks.js";
import type { CliContext } from "../context.js";
import { assertNotPulseWorker } from "../human-only.js";
import { printJson } from "../format.js";
import { subscribePrinter } from "../printer.js";
import { reportPipelineOutcome } from "./pipeline-report.js";
import { reportOutcome } from "./review.js";
import { reportTeamOutcome } from "./run.js";

/** Answers an ask; unless --no-resume, resumes its run in the foreground. */
export async function runAnswer(
  ctx: CliContext,
  askId: string,
  answer: string,
  options: { note?: string; resume: boolean },
): Promise<number> {
  if (!isSafeId(askId)) {
    throw new UsageError(
      `Invalid ask id ${JSON.stringify(askId)} (the <ask> argument): an ask id is letters, digits, ".", "_" and "-", such as ask-20261122-125012-r1. List open asks with "bosun asks".`,
    );
  }
  assertNotPulseWorker(`bosun answer ${askId}`);
  const paths = await ctx.getStatePaths();
  if (!(await isPresent(paths.askFile(askId)))) {
    throw new UsageError(
      `Ask ${JSON.stringify(askId)} not found in ${paths.asksDir} (the <ask> argument). List open asks with "bosun asks".`,
    );
  }
  const { answer: recorded, runId } = await recordAnswer(paths, {
    askId,
    answer,
    ...(options.note === undefined ? {} : { note: options.note }),
    source: "cli",
  });
  if (runId === PULSE_ASK_RUN_ID) {
    // The pulse's daemon wakes on the answer; there is no run to continue here.
    if (ctx.isJson) printJson(recorded);
    else
      process.stdout.write(
        `Answered ${askId}: ${recorded.answer}. The pulse sees it at its next beat (bosun pulse status).\n`,
      );
    return 0;
  }
  if (!options.resume) {
    if (ctx.isJson) printJson(recorded);
    else
      process.stdout.write(
        `Answered ${askId}: ${recorded.answer}. Continue the run with: ${getResumeCommand((await readRun(paths, runId))?.flow ?? "review", runId)}\n`,
      );
    return 0;
  }
  const { config } = await ctx.getConfig();
  const outcome = await resumeRun({
    paths,
    config,
    runId: runId,
    signal: ctx.signal,
    onEvent: subscribePrinter(ctx, {
      showTaskIds: (await readRun(paths, runId))?.flow === "team",
    }),
  });
  const { run } = outcome;
  if (run.flow === "review") return reportOutcome(ctx, { run, isPaused: outcome.isPaused });
  if (run.flow === "pipeline")
    return reportPipelineOutcome(ctx, { run, isPaused: outcome.isPaused });
  return reportTeamOutcome(ctx, { run, isPaused: outcome.isPaused });
}

/** True when something is at `file` (what it is, the reader judges; only absence is a usage error). */
async function isPresent(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return false;
    // Anything else (a parent that is a file, a loop) is for readAsk to report with the path.
    return true;
  }
}
