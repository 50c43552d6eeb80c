/** The options each flow's runs are started with: fixed for the run's life, so resume is faithful. */
import { z } from "zod";

/** Options of a review run. */
export const ReviewOptionsSchema = z.object({
  /** Worker harness name. */
  worker: z.string(),
  /** Reviewer harness name. */
  reviewer: z.string(),
  /** Rounds before asking a human (raised when a human grants more). */
  maxRounds: z.number().int().positive(),
  /** Verify command, "" for none. */
  verify: z.string(),
  /** Per-dispatch timeout in seconds (0 = none). */
  timeoutSec: z.number().nonnegative(),
});

/** Options of a review run. */
export type ReviewOptions = z.infer<typeof ReviewOptionsSchema>;

/** Options of a team run (`bosun run`). */
export const TeamOptionsSchema = z.object({
  /** Harness of the planner. */
  planner: z.string(),
  /** Default harness of the workers (a role's `team:` entry in bosun.yaml may name another). */
  worker: z.string(),
  /** Harness of the critics: a different harness (or model) than the task's worker. */
  critic: z.string(),
  /** Tasks worked on at once. */
  maxParallel: z.number().int().positive(),
  /** Repair rounds after the first before a task escalates. */
  maxRepairs: z.number().int().nonnegative(),
  /** The project's test command, run in each worktree and after each merge; "" for none. */
  verify: z.string(),
  /** Per-dispatch timeout in seconds (0 = none). */
  timeoutSec: z.number().nonnegative(),
  /** An agent silent this long (seconds) is stalled: killed and retried. */
  stallTimeoutSec: z.number().positive(),
  /** Cap on the whole run's spend in USD (absent: none). */
  budgetUsd: z.number().positive().optional(),
  /** Cap on each task's spend in USD (absent: none). */
  taskBudgetUsd: z.number().positive().optional(),
  /** Stop after planning until a human approves plan.json. */
  isPlanGated: z.boolean(),
  /** Branch of the user's to fast-forward to the integration branch at the end (absent: never touched). */
  mergeTo: z.string().optional(),
});

/** Options of a team run. */
export type TeamOptions = z.infer<typeof TeamOptionsSchema>;
