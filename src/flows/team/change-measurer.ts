/**
 * What each running task of a team run has changed so far, for the scheduler's overlap rule,
 * measured no more often than it can have changed.
 */
import { getTaskState, type RunIndex } from "../../store/run-index.js";
import { listWorktreeChanges } from "../../workspace/overlap.js";

/** Measures running tasks' changes, reusing a measurement while it still holds. */
export interface ChangeMeasurer {
  /** The paths the task's worktree at `cwd` changed since its fork point (empty before it has one). */
  measure(taskId: string, cwd: string): Promise<string[]>;
  /** Drops what is kept for a task that stopped running. */
  forget(taskId: string): void;
}

/**
 * While its worker works, a task's files change at any moment: a look older than this is looked
 * again. Agents work for minutes, so a second-old look is as good as a fresh one, and the merge
 * queue catches any conflict the rule lets through.
 */
export const AT_WORK_LOOK_MS = 1000;

/**
 * A measurer over the run's index. Only a worker changes a task's files (a verifier's or the
 * tests' leftovers are discarded), and a worker's start and end are events: between them the
 * last look stands, so a task waiting on its gates, its critic or the merge queue costs no git
 * call per scheduling pass; a task whose worker is at work is looked at about once a second.
 */
export function createChangeMeasurer(index: RunIndex): ChangeMeasurer {
  const last = new Map<string, { workerSeq: number; atMs: number; changed: string[] }>();
  return {
    measure: async (taskId, cwd) => {
      const state = getTaskState(index, taskId);
      const base = state?.worktree?.base;
      // A worktree being made right now has nothing to compare yet: no overlap.
      if (state === undefined || base === undefined) return [];
      const round = state.rounds.get(state.lastStartedRound);
      const isWorkerAtWork = (round?.openDispatches.get("worker") ?? 0) > 0;
      const workerSeq = state.lastWorkerSeq;
      const kept = last.get(taskId);
      const atMs = Date.now();
      if (kept?.workerSeq === workerSeq && (!isWorkerAtWork || atMs - kept.atMs < AT_WORK_LOOK_MS))
        return kept.changed;
      // A worktree that vanished under a running task: nothing to compare; its task will fail.
      const changed = await listWorktreeChanges(cwd, base).catch(() => []);
      // Kept under what was known before the look: a worker event during it makes the next pass
      // look again.
      last.set(taskId, { workerSeq, atMs, changed });
      return changed;
    },
    forget: (taskId) => {
      last.delete(taskId);
    },
  };
}
