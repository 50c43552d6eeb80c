/** `bosun asks [--all]`: questions from loops waiting for a human. */
import { listAsks } from "../../human/asks.js";
import type { CliContext } from "../context.js";
import { color, printJson } from "../format.js";

/** Lists asks. */
export async function runAsks(ctx: CliContext, options: { all?: boolean }): Promise<number> {
  const asks = await listAsks(await ctx.getStatePaths(), options.all !== true);
  if (ctx.isJson) {
    printJson(
      asks.map(({ ask, answer, answerProblem }) => ({
        ...ask,
        answer,
        ...(answerProblem === undefined ? {} : { answerProblem }),
      })),
    );
    return 0;
  }
  if (asks.length === 0) {
    process.stdout.write("No open asks.\n");
    return 0;
  }
  for (const { ask, answer, answerProblem } of asks) {
    const state =
      answer === null
        ? color.yellow("open")
        : answerProblem === undefined
          ? color.dim(`answered "${answer.answer}"`)
          : `${color.yellow("open")}: ${color.red(`the answer file is not an option (${answerProblem})`)}`;
    const choices = ask.options
      .map((option) => `  ${color.bold(option.key)}  ${option.label}`)
      .join("\n");
    // An ask without options takes an answer in the human's own words.
    const answerHint =
      ask.options.length === 0 ? '"<your answer>"' : `<${ask.options.map((o) => o.key).join("|")}>`;
    process.stdout.write(
      `${color.bold(ask.id)} (${state}) run ${ask.runId}\n  ${ask.question}\n${ask.context.replace(/^/gm, "  ")}\n${choices === "" ? "" : `${choices}\n`}  → bosun answer ${ask.id} ${answerHint}\n\n`,
    );
  }
  return 0;
}
