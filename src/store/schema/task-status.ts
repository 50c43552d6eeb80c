/**
 * A team task's status, as task.status events record it and board.json shows it. Apart from the
 * journal's schemas (events.ts, which re-exports it) so that reading a board does not build them.
 */
import { z } from "zod";

/** Where a task stands on a team run's board. */
export const TaskStatusSchema = z.enum([
  /** Waiting for its dependencies, a free slot or the budget. */
  "pending",
  /** Its worker rounds are under way in its worktree. */
  "running",
  /** Failed in a way a retry can fix; starts again after `retryAt`. */
  "retry_queued",
  /** Passed its rounds; waiting in the merge queue. */
  "accepted",
  /** Its change is in the integration branch. */
  "merged",
  /** Escalated: an ask says why; the rest of the run goes on. */
  "needs_human",
  /** Gave up (or a dependency did): will not run again in this run. */
  "failed",
  /** Stopped by a human. */
  "cancelled",
]);
/** A task status. */
export type TaskStatus = z.infer<typeof TaskStatusSchema>;
