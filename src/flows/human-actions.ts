/**
 * What a human does to a run, as every surface does it: the CLI verbs, the dashboard, the
 * terminal monitor and the machine contract all call these, so an answer given anywhere is
 * checked, recorded and acted on the same way. Whether the run then continues in this process
 * is `run-host.ts`'s rule.
 */
import { readAsk, writeAnswer } from "../human/asks.js";
import type { BosunPaths } from "../store/paths.js";
import type { Answer } from "../store/schema/asks.js";

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
