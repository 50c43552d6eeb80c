/**
 * board.json: a team run's tasks as a board, one row per planned task with where it stands, what
 * it waits on, what it cost and where its work is. Like run.json it is a snapshot, never the
 * truth: the run's writer rebuilds it from events.jsonl and plan.json, and `bosun board` rebuilds
 * it the same way when the file is missing or behind the journal.
 */
import { z } from "zod";
import { TaskStatusSchema } from "./task-status.js";
import { RunStatusSchema } from "./run.js";

/** The format of board.json this bosun writes. */
export const BOARD_FILE_VERSION = 1 as const;

/** One task of the plan on the board. */
export const BoardTaskSchema = z.object({
  /** Task id (as in plan.json). */
  id: z.string(),
  /** Its short title from the plan. */
  title: z.string(),
  /** The role that does the work. */
  role: z.string(),
  /** From the task's last task.status event; `pending` before any. */
  status: TaskStatusSchema,
  /** 1 (first) to 5 (last), from the plan. */
  priority: z.number().int(),
  /** Ids of the tasks it depends on, from the plan. */
  dependsOn: z.array(z.string()),
  /** Those of its dependencies not merged yet: what it still waits on. */
  blockedBy: z.array(z.string()),
  /** Its last round started (0 before the first). */
  round: z.number().int().nonnegative(),
  /** Harness of its last worker dispatch (absent before the first). */
  harness: z.string().optional(),
  /** USD spent on its dispatches (every seat) so far. */
  costUsd: z.number().nonnegative(),
  /** Its worktree, while it exists. */
  worktree: z
    .object({
      /** Directory (outside the user's checkout). */
      dir: z.string(),
      /** Branch (`bosun/<run>/<task>`). */
      branch: z.string(),
    })
    .optional(),
  /** The merge commit on the integration branch, once merged (gone again if it was reverted). */
  mergedCommit: z.string().optional(),
  /** The reason of its last status change, when one was given. */
  reason: z.string().optional(),
  /** Failed attempts so far, when its last status counted them. */
  failures: z.number().int().nonnegative().optional(),
  /** ISO time a retry-queued task may start again. */
  retryAt: z.string().optional(),
  /** Asks about this task waiting for a human. */
  openAskIds: z.array(z.string()),
  /** Conflicts with other running tasks' changes, as the live run last found them. */
  conflicts: z.array(z.string()).optional(),
  /** True when it lies on the plan's critical path (the longest chain by estimate). */
  isCritical: z.boolean(),
});

/** A task on the board. */
export type BoardTask = z.infer<typeof BoardTaskSchema>;

/** Tasks counted by status; every status is present (0 when none). */
export const TaskCountsSchema = z.record(TaskStatusSchema, z.number().int().nonnegative());

/** board.json */
export const BoardSchema = z.object({
  /** Format version. */
  version: z.literal(BOARD_FILE_VERSION),
  /** Run id. */
  runId: z.string(),
  /** The run's goal, in one line. */
  title: z.string(),
  /** The run's status (as in run.json). */
  runStatus: RunStatusSchema,
  /** ISO time of the last event folded in. */
  updatedAt: z.string(),
  /**
   * Events of events.jsonl folded in: the board is current when this is the journal's last
   * `seq` (how `bosun board` tells a current board from one to rebuild).
   */
  eventCount: z.number().int().nonnegative(),
  /** False until plan.json exists (the planner is still at work): then there are no tasks. */
  hasPlan: z.boolean(),
  /** The branch the tasks merge into. */
  integrationBranch: z.string(),
  /** The commit the run started from. */
  baseCommit: z.string(),
  /** The integration branch's head as last recorded (the base commit before any merge). */
  headCommit: z.string(),
  /** The plan's critical path: task ids from the first to start to the last to finish. */
  criticalPath: z.array(z.string()),
  /** The critical path's estimated minutes (unestimated tasks count as the median estimate). */
  criticalPathMinutes: z.number().nonnegative(),
  /** Run totals. */
  totals: z.object({
    /** Tasks in the plan. */
    tasks: z.number().int().nonnegative(),
    /** Tasks by status. */
    byStatus: TaskCountsSchema,
    /** USD spent by the whole run (planner and every task). */
    costUsd: z.number().nonnegative(),
    /** The run's cap in USD, if it has one. */
    budgetUsd: z.number().positive().optional(),
    /** Each task's cap in USD, if there is one. */
    taskBudgetUsd: z.number().positive().optional(),
  }),
  /** The plan's tasks, in plan order. */
  tasks: z.array(BoardTaskSchema),
});

/** A board. */
export type Board = z.infer<typeof BoardSchema>;
