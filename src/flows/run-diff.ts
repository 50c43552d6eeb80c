/**
 * The diff a run made: the whole run (base → head), one review round's checkpoint, or one task's
 * change (what its merge brought in, else its checkpoints).
 */
import { StateError, UsageError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun, readRunEvents } from "../store/run-read.js";
import type { Run } from "../store/schema/run.js";
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

/**
 * Returns the unified diff of the whole run, or of one round's checkpoint; a diff longer than
 * `maxBytes` is cut, with a line saying so (the CLI takes it all).
 */
export async function getRunDiff(
  paths: BosunPaths,
  runId: string,
  round?: number,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<RunDiff> {
  const run = await readDiffableRun(paths, runId);
  if (run.flow === "pipeline" && round !== undefined)
    throw new UsageError(
      `--round is for review runs: a pipeline counts iterations per pair and phase. "bosun diff ${runId}" shows the whole run; each iteration's checkpoint is in ${paths.rawPhaseLogFile(runId)}.`,
    );
  if (round === undefined) {
    const outsideCommits = (await readRunEvents(paths, runId)).flatMap((event) =>
      event.type === "head.moved" ? event.commits : [],
    );
    const diff = await getDiff(paths.root, run.baseCommit, run.headCommit, maxBytes);
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
  const diff = await getDiff(paths.root, checkpoint.parent, checkpoint.commit, maxBytes);
  return { diff, outsideCommits: [] };
}

/**
 * Returns one task's change: for a team task whose merge landed (and was not reverted), what
 * that merge brought into the integration branch — the change as it is in the run's result;
 * otherwise its work so far, from its first checkpoint's parent to its last checkpoint (empty
 * before the first). Cut past `maxBytes` like the run's.
 */
export async function getTaskDiff(
  paths: BosunPaths,
  runId: string,
  taskId: string,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<RunDiff> {
  await readDiffableRun(paths, runId);
  let isKnown = false;
  let first: { parent: string } | undefined;
  let last: { commit: string } | undefined;
  let merged: { previous: string; commit: string } | undefined;
  for (const event of await readRunEvents(paths, runId)) {
    if (!("taskId" in event) || event.taskId !== taskId) continue;
    isKnown = true;
    if (event.type === "checkpoint.created") {
      first ??= event;
      last = event;
    } else if (event.type === "merge.completed") merged = event;
    else if (event.type === "merge.reverted" && event.commit === merged?.commit) merged = undefined;
  }
  if (!isKnown)
    throw new UsageError(
      `Run ${runId} has no task ${JSON.stringify(taskId)} in its journal (${paths.eventsFile(runId)}); "bosun board ${runId}" lists its tasks.`,
    );
  const [from, to] =
    merged !== undefined ? [merged.previous, merged.commit] : [first?.parent, last?.commit];
  if (from === undefined || to === undefined) return { diff: "", outsideCommits: [] };
  return { diff: await getDiff(paths.root, from, to, maxBytes), outsideCommits: [] };
}

/** The run's run.json, refused when the run kept no git history to diff. */
async function readDiffableRun(paths: BosunPaths, runId: string): Promise<Run> {
  const run = await readRun(paths, runId);
  if (run === null) throw new StateError(`Run ${runId} has no run.json (${paths.runFile(runId)}).`);
  if (run.flow === "pipeline" && run.options.isGitDisabled)
    throw new UsageError(
      `Run ${runId} ran with --no-git: nothing was checkpointed, so there is no diff; what its producers left is in ${paths.root}, and its story in ${paths.rawPhaseLogFile(runId)}.`,
    );
  return run;
}
