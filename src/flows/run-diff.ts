/** The diff a run made: the whole run (base → head) or one review round's checkpoint. */
import { StateError, UsageError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun, readRunEvents } from "../store/run-read.js";
import { getDiff } from "../workspace/git.js";

/** A run's diff, and the commits in it that were made outside the run. */
export interface RunDiff {
  /** The unified diff. */
  diff: string;
  /**
   * `<short sha> <subject>` of commits made outside the run that the diff includes (from its
   * `head.moved` events): a whole-run diff spans them; each round's own diff never does.
   */
  outsideCommits: string[];
}

/** Returns the unified diff of the whole run, or of one round's checkpoint. */
export async function getRunDiff(
  paths: BosunPaths,
  runId: string,
  round?: number,
): Promise<RunDiff> {
  const run = await readRun(paths, runId);
  if (run === null) throw new StateError(`Run ${runId} has no run.json (${paths.runFile(runId)}).`);
  if (run.flow === "pipeline" && run.options.isGitDisabled)
    throw new UsageError(
      `Run ${runId} ran with --no-git: nothing was checkpointed, so there is no diff; what its producers left is in ${paths.root}, and its story in ${paths.rawPhaseLogFile(runId)}.`,
    );
  if (run.flow === "pipeline" && round !== undefined)
    throw new UsageError(
      `--round is for review runs: a pipeline counts iterations per pair and phase. "bosun diff ${runId}" shows the whole run; each iteration's checkpoint is in ${paths.rawPhaseLogFile(runId)}.`,
    );
  if (round === undefined) {
    const outsideCommits = (await readRunEvents(paths, runId)).flatMap((event) =>
      event.type === "head.moved" ? event.commits : [],
    );
    const diff = await getDiff(paths.root, run.baseCommit, run.headCommit, Number.MAX_SAFE_INTEGER);
    return { diff, outsideCommits: [...new Set(outsideCommits)] };
  }
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
  const diff = await getDiff(
    paths.root,
    checkpoint.parent,
    checkpoint.commit,
    Number.MAX_SAFE_INTEGER,
  );
  return { diff, outsideCommits: [] };
}
