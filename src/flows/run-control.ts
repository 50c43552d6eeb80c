/**
 * Approving a team run's plan: what `bosun approve` does, here so the dashboard (and any other
 * surface) acts exactly as the verb does. Stopping a run is `stop-run.ts`.
 */

import { StateError } from "../errors.js";
import { readAsk, writeAnswer } from "../human/asks.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-read.js";

/** The ask a team run started with --gate-plan waits on once planned. */
export function getPlanAskId(runId: string): string {
  return `ask-${runId}-plan`;
}

/**
 * Records the approval of a team run's plan (unless already answered); the caller then resumes
 * the run. A run with no plan waiting is a StateError saying which runs have one.
 */
export async function approvePlan(
  paths: BosunPaths,
  runId: string,
  options: { source: string },
): Promise<void> {
  const run = await readRun(paths, runId);
  const askId = getPlanAskId(runId);
  if (run?.flow !== "team" || !run.openAskIds.includes(askId))
    throw new StateError(
      `Run ${runId} has no plan waiting for approval (only a team run started with --gate-plan does, once planned). See "bosun status ${runId}".`,
    );
  const { answer } = await readAsk(paths, askId);
  if (answer === null) await writeAnswer(paths, askId, "approve", { source: options.source });
}
