/**
 * run.json: a readable snapshot of one run's state. The source of truth is the run's
 * events.jsonl; run.json is rewritten (atomically) from it after every event.
 */
import { z } from "zod";
import { SAFE_ID_RULE, isSafeId } from "../paths.js";

/**
 * Where a run stands. `paused` stopped on purpose mid-run (--single-round, Ctrl-C) and continues
 * with --resume; `needs_human` waits on an ask; the terminal states are final.
 */
export const RunStatusSchema = z.enum([
  "running",
  "paused",
  "needs_human",
  "succeeded",
  "failed",
  "cancelled",
]);

/** A run status. */
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** A status a run.completed event may record: where a run ends or waits for a human. */
export type RunEndStatus = Exclude<RunStatus, "running" | "paused">;

/** Token totals. */
export const TokenTotalsSchema = z.object({
  /** Input tokens, cached included. */
  inputTokens: z.number().nonnegative(),
  /** Of which cached. */
  cachedInputTokens: z.number().nonnegative(),
  /** Output tokens. */
  outputTokens: z.number().nonnegative(),
});

/** The options a review run was started with (fixed for its life, so resume is faithful). */
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

/** run.json */
export const RunSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** Run id (directory name). */
  id: z.string().refine(isSafeId, SAFE_ID_RULE),
  /** Which flow runs it. */
  flow: z.literal("review"),
  /** Current status. */
  status: RunStatusSchema,
  /** ISO time of creation. */
  createdAt: z.string(),
  /** ISO time of the last event. */
  updatedAt: z.string(),
  /** The task being worked on (a directory name under tasks/). */
  taskId: z.string().refine(isSafeId, SAFE_ID_RULE),
  /** One line of the goal, for listings. */
  title: z.string(),
  /** HEAD when the run started. */
  baseCommit: z.string(),
  /** Latest checkpoint commit bosun made or measured. */
  headCommit: z.string(),
  /** Round in progress or last finished (0 before the first). */
  round: z.number().int().nonnegative(),
  /** Last step finished, e.g. "worker.dispatched", "review.completed". */
  step: z.string(),
  /** Options fixed at start. */
  options: ReviewOptionsSchema,
  /** Total USD across dispatches (estimated where the CLI gives only tokens). */
  costUsd: z.number().nonnegative(),
  /** Token totals across dispatches. */
  tokens: TokenTotalsSchema,
  /** Number of events in events.jsonl. */
  eventCount: z.number().int().nonnegative(),
  /** Open ask waiting for a human, if any. */
  openAskId: z.string().optional(),
  /** Why the run failed or needs a human. */
  reason: z.string().optional(),
});

/** A run snapshot. */
export type Run = z.infer<typeof RunSchema>;
