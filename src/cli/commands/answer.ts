/** `bosun answer ASK ANSWER`: record a human's answer, then continue the run that asked. */
import { readAsk, writeAnswer } from "../../human/asks.js";
import { resumeReview } from "../../flows/review.js";
import type { CliContext } from "../context.js";
import { printJson } from "../format.js";
import { createPrinter } from "../printer.js";
import { reportOutcome } from "./review.js";

/** Answers an ask; unless --no-resume, resumes its run in the foreground. */
export async function runAnswer(
  ctx: CliContext,
  askId: string,
  answer: string,
  options: { note?: string; resume: boolean },
): Promise<number> {
  const paths = await ctx.getPaths();
  const recorded = await writeAnswer(paths, askId, answer, {
    ...(options.note === undefined ? {} : { note: options.note }),
    source: "cli",
  });
  const { ask } = await readAsk(paths, askId);
  if (!options.resume) {
    if (ctx.isJson) printJson(recorded);
    else
      process.stdout.write(
        `Answered ${askId}: ${recorded.answer}. Continue the run with: bosun review --resume ${ask.runId}\n`,
      );
    return 0;
  }
  const { config } = await ctx.getConfig();
  const outcome = await resumeReview({
    paths,
    config,
    runId: ask.runId,
    signal: ctx.signal,
    onEvent: createPrinter({ isJson: ctx.isJson, isVerbose: ctx.isVerbose }),
  });
  return reportOutcome(ctx, outcome);
}
