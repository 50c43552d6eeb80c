/**
 * What a human does to a run, as every surface does it: the CLI verbs, the dashboard, the
 * terminal monitor and the machine contract all call these, so an answer given anywhere is
 * checked, recorded and acted on the same way.
 */
import { readAsk, writeAnswer } from "../human/asks.js";
import type { BosunPaths } from "../store/paths.js";
import type { Answer } from "../store/schema/asks.js";
import type { Config } from "../store/schema/config.js";
import type { BosunEventListener } from "./events.js";
import { resumeRun, type FlowOutcome } from "./registry.js";

/** An answer to an ask, from any channel. */
export interface AnswerInput {
  /** The ask. */
  askId: string;
  /** An option key, or the human's own words when the ask has no options. */
  answer: string;
  /** A note passed to the next round's worker or producer. */
  note?: string;
  /** The channel (cli, dashboard, monitor, client, contract). */
  source: string;
}

/** Checks the answer against the ask's options and records it; returns it and the asking run. */
export async function recordAnswer(
  paths: BosunPaths,
  input: AnswerInput,
): Promise<{ answer: Answer; runId: string }> {
  const answer = await writeAnswer(paths, input.askId, input.answer, {
    ...(input.note === undefined ? {} : { note: input.note }),
    source: input.source,
  });
  const { ask } = await readAsk(paths, input.askId);
  return { answer, runId: ask.runId };
}

/** Records the answer, then continues the run that asked, in this process, until it stops again. */
export async function answerAndContinue(options: {
  paths: BosunPaths;
  config: Config;
  input: AnswerInput;
  onEvent: BosunEventListener;
  signal?: AbortSignal;
}): Promise<FlowOutcome> {
  const { runId } = await recordAnswer(options.paths, options.input);
  return resumeRun({
    paths: options.paths,
    config: options.config,
    runId,
    onEvent: options.onEvent,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
