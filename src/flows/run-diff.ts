/** The diff a review run made: the whole run (base → head) or one round's checkpoint. */
import { StateError } from "../errors.js";
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
  if (run === null) throw new StateError(`Run ${runId} not found.`);
  if (round === undefined)
    return getDiff(paths.root, run.baseCommit, run.headCommit, Number.MAX_SAFE_INTEGER);
  const checkpoint = (await readRunEvents(paths, runId)).find(
    (event) => event.type === "checkpoint.created" && event.round === round,
  );
  if (checkpoint?.type !== "checkpoint.created") {
    throw new StateError(
      `Run ${runId} has no checkpoint for round ${round} (rounds so far: ${run.round}).`,
    );
  }
  return getDiff(paths.root, checkpoint.parent, checkpoint.commit, Number.MAX_SAFE_INTEGER);
}
