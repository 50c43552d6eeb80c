/** The diff a review run made: the whole run (base → head) or one round's checkpoint. */
import { StateError, UsageError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun, readRunEvents } from "../store/run-read.js";
import { getDiff } from "../workspace/git.js";

/** Returns the unified diff. */
export async function getRunDiff(
  paths: BosunPaths,
  runId: string,
  round?: number,
): Promise<string> {
  const run = await readRun(paths, runId);
  if (run === null) throw new StateError(`Run ${runId} has no run.json (${paths.runFile(runId)}).`);
  if (round === undefined)
    return getDiff(paths.root, run.baseCommit, run.headCommit, Number.MAX_SAFE_INTEGER);
  if (round > run.round) {
    const rounds =
      run.round === 0 ? "has not finished a round yet" : `has rounds 1 to ${run.round}`;
    throw new UsageError(`Invalid --round ${round}: run ${runId} ${rounds}.`);
  }
  const checkpoint = (await readRunEvents(paths, runId)).find(
    (event) => event.type === "checkpoint.created" && event.round === round,
  );
  if (checkpoint?.type !== "checkpoint.created") {
    throw new StateError(
      `Run ${runId} recorded no checkpoint for round ${round} in ${paths.eventsFile(runId)} (the worker may have failed before making one).`,
    );
  }
  return getDiff(paths.root, checkpoint.parent, checkpoint.commit, Number.MAX_SAFE_INTEGER);
}
