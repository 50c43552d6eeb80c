/** The options each flow's runs are started with: fixed for the run's life, so resume is faithful. */
import { z } from "zod";

/** The pairs of a pipeline, in the order they run. */
export const PIPELINE_PAIRS = ["plan", "implement", "test", "audit"] as const;

/** A producer/verifier pair. */
export const PipelinePairSchema = z.enum(PIPELINE_PAIRS);
/** A pair. */
export type PipelinePair = z.infer<typeof PipelinePairSchema>;

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
  /**
   * True when bosun found `verify` in the repository (no --verify, no review.verify): red on the
   * base commit, it cannot grade anything (dependencies not installed, …), so it gates no task.
   */
  isVerifyFound: z.boolean().optional(),
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

/** Options of a pipeline run: fixed for the run's life, so a resume is faithful. */
export const PipelineOptionsSchema = z.object({
  /** The pairs to run, a subset of plan, implement, test, audit in that order. */
  pairs: z.array(PipelinePairSchema).min(1),
  /** Iterations a pair may take before it fails. */
  maxIterations: z.number().int().positive(),
  /** `multi`: implement and test per phase, in dependency order; `single`: once over the whole plan. */
  phaseMode: z.enum(["single", "multi"]),
  /** Producer harness name. */
  producer: z.string(),
  /** Verifier harness name (a different one than the producer's where two are available). */
  verifier: z.string(),
  /** The project's test command, the deterministic gate of the implement and test pairs; "" for none. */
  verify: z.string(),
  /** Questions of a verifier answered by a model instead of a human. */
  isFullAutoAnswers: z.boolean(),
  /** No checkpoints and no diffs: the folder need not be a git repository. */
  isGitDisabled: z.boolean(),
  /** Gaps the audit finds start a follow-up run by themselves. */
  isFollowupEnabled: z.boolean(),
  /** Follow-up runs one after another at most (a follow-up of a follow-up counts 2). */
  followupDepth: z.number().int().nonnegative(),
  /** Per-dispatch and verify-command timeout in seconds (0 = none). */
  timeoutSec: z.number().nonnegative(),
});

/** Options of a pipeline run. */
export type PipelineOptions = z.infer<typeof PipelineOptionsSchema>;
