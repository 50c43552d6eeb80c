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
 * A measurer over the run's index. A measurement stands while the task journaled nothing since
 * and its worker is not at work: only a worker changes a task's files (a verifier's or the tests'
 * leftovers are discarded, and their gates are events), and a worker's start and end are events.
 * So a task waiting on its critic or in the merge queue costs no git call per scheduling pass.
 */
export function createChangeMeasurer(index: RunIndex): ChangeMeasurer {
  const last = new Map<string, { seq: number; changed: string[] }>();
  return {
    measure: async (taskId, cwd) => {
      const state = getTaskState(index, taskId);
      const base = state?.worktree?.base;
      // A worktree being made right now has nothing to compare yet: no overlap.
      if (state === undefined || base === undefined) return [];
      const round = state.rounds.get(state.lastStartedRound);
      const isWorkerAtWork = (round?.openDispatches.get("worker") ?? 0) > 0;
      const seq = state.lastSeq;
      const kept = last.get(taskId);
      if (!isWorkerAtWork && kept?.seq === seq) return kept.changed;
      // A worktree that vanished under a running task: nothing to compare; its task will fail.
      const changed = await listWorktreeChanges(cwd, base).catch(() => []);
      // Kept under the seq read before the look: an event during it makes the next pass look again.
      if (!isWorkerAtWork) last.set(taskId, { seq, changed });
      return changed;
    },
    forget: (taskId) => {
      last.delete(taskId);
    },
  };
}
