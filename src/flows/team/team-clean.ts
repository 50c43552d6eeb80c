/**
 * `bosun clean RUN`: removes a team run's worktrees and the task branches whose change is merged.
 * Cleaning is where peers' users lose work, so: a live run's worktrees are never touched (the
 * run's lock is taken first), "merged" is judged by content (the task's change is in the
 * integration branch's tree), uncommitted work is saved to a ref before anything is removed, and
 * unmerged work needs `--force` (its branch and a snapshot are kept even then).
 */
import { RunStore } from "../../store/run-store.js";
import type { BosunPaths } from "../../store/paths.js";
import { UsageError } from "../../errors.js";
import { readRef, runGit } from "../../workspace/git.js";
import { isChangeMerged } from "../../workspace/merge-tree.js";
import { removeWorktree } from "../../workspace/worktree.js";
import { killLeftoverProcesses } from "../leftovers.js";

/** Grace between TERM and KILL for leftovers (clean has no run config at hand). */
const DEFAULT_GRACE_MS = 5_000;
import type { BosunEventListener } from "../events.js";

/** What cleaning did to one task. */
export interface CleanedTask {
  /** The task. */
  taskId: string;
  /** removed, absent (already gone) or refused (with why). */
  worktree: "removed" | "absent" | "refused";
  /** Where its uncommitted work was saved, if it had any. */
  snapshotRef?: string;
  /** True when its branch was deleted (its change is in the integration branch). */
  isBranchDeleted: boolean;
  /** Why the worktree was kept. */
  reason?: string;
}

/** Cleans a team run's worktrees and merged branches; refuses while the run is live. */
export async function cleanTeamRun(options: {
  paths: BosunPaths;
  runId: string;
  isForced: boolean;
  onEvent: BosunEventListener;
}): Promise<CleanedTask[]> {
  const { paths, runId } = options;
  // The run's own lock: held by a live run, so a live run's worktrees are never removed.
  const store = await RunStore.open(paths, runId);
  try {
    const run = store.run;
    if (run.flow !== "team")
      throw new UsageError(
        `Run ${runId} is a review; it works in your checkout and has nothing to clean.`,
      );
    // Nothing the run's killed process left running may keep writing into a worktree removed here.
    await killLeftoverProcesses(paths, [runId], DEFAULT_GRACE_MS);
    const integration = `refs/heads/${run.integrationBranch}`;
    const target = (await readRef(paths.root, integration)) ?? run.baseCommit;
    const cleaned: CleanedTask[] = [];
    for (const [taskId, state] of store.index.tasks) {
      const worktree = state.worktree;
      if (worktree === undefined) continue;
      const result = await removeWorktree(paths.root, worktree.dir, {
        base: worktree.base,
        target,
        isForced: options.isForced,
      });
      if (result.kind === "refused") {
        cleaned.push({
          taskId,
          worktree: "refused",
          isBranchDeleted: false,
          reason: result.reason,
        });
        continue;
      }
      const snapshotRef = result.kind === "removed" ? result.snapshotRef : null;
      const event = await store.append({
        type: "worktree.removed",
        taskId,
        dir: worktree.dir,
        ...(snapshotRef === null ? {} : { snapshotRef }),
      });
      options.onEvent({ ...event, runId });
      const isMerged = await isChangeMerged(paths.root, {
        base: worktree.base,
        branch: worktree.branch,
        target,
      });
      if (isMerged) await runGit(paths.root, ["branch", "-q", "-D", worktree.branch]);
      cleaned.push({
        taskId,
        worktree: result.kind,
        ...(snapshotRef === null ? {} : { snapshotRef }),
        isBranchDeleted: isMerged,
      });
    }
    // bosun's own detached checkout of the integration branch holds nothing of anyone's.
    await runGit(paths.root, ["worktree", "remove", "--force", paths.integrationDir(runId)]).catch(
      () => undefined,
    );
    await runGit(paths.root, ["worktree", "prune"]);
    return cleaned;
  } finally {
    await store.close();
  }
}
