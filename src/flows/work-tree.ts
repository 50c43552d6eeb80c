/**
 * Taking a working tree for a run: the tree's lock (one live run per tree), then an end to what
 * runs abandoned by a killed bosun left running (their agents would keep writing into this run's
 * checkpoints).
 */
import type { BosunPaths } from "../store/paths.js";
import { listLockedRuns } from "../store/run-read.js";
import { tryAcquireRunLock, type RunLock } from "../store/run-lock.js";
import type { Config } from "../store/schema/config.js";
import { acquireTreeLock } from "../store/tree-lock.js";
import type { BosunEventListener } from "./events.js";
import { killLeftoverProcesses } from "./leftovers.js";

/** What taking a working tree needs. */
export interface WorkTreeOptions {
  /** Repository paths; the run works in `paths.root`. */
  paths: BosunPaths;
  /** Resolved config (the grace period for killing leftovers). */
  config: Config;
  /** Told about each leftover killed. */
  onEvent: BosunEventListener;
}

/**
 * Takes the lock of the tree `paths.root` for run `runId`, refusing (a StateError naming it)
 * while another run works there, then ends what abandoned runs left running. Release the lock
 * when the run stops working.
 */
export async function acquireWorkTree(options: WorkTreeOptions, runId: string): Promise<RunLock> {
  const lock = await acquireTreeLock(options.paths, options.paths.root, { runId });
  try {
    const locked = await listLockedRuns(options.paths);
    const abandoned = locked.filter((run) => run.pid === undefined).map((run) => run.runId);
    await killAbandonedLeftovers(options, abandoned, runId);
  } catch (error) {
    // Whatever went wrong, a lock taken here must not outlive this call.
    await lock.release();
    throw error;
  }
  return lock;
}

/**
 * Ends what the runs `deadRunIds` (whose writer died holding their lock, kill -9) left running —
 * in any tree: nothing of a dead run should run on. Each run's lock is taken while its processes
 * are ended: runs in other trees work at the same time, and one may be resuming that very run,
 * whose new agents must not be taken for leftovers. A run whose lock is live again by then is
 * left to its writer. Warnings name `runId`, the run taking the tree.
 */
export async function killAbandonedLeftovers(
  options: WorkTreeOptions,
  deadRunIds: readonly string[],
  runId: string,
): Promise<void> {
  const { paths } = options;
  const graceMs = options.config.dispatch.graceSec * 1000;
  for (const deadRunId of deadRunIds) {
    const attempt = await tryAcquireRunLock(paths.lockFile(deadRunId));
    if (attempt.type === "held") continue;
    try {
      for (const dir of await killLeftoverProcesses(paths, [deadRunId], graceMs)) {
        options.onEvent({
          type: "warning",
          runId,
          message: `Killed processes left running by an earlier bosun process that was killed (${dir}).`,
        });
      }
    } finally {
      await attempt.lock.release();
    }
  }
}
