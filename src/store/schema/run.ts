/**
 * run.json: a readable snapshot of one run's state. The source of truth is the run's
 * events.jsonl; run.json is rebuilt from it on open and rewritten (throttled) as events arrive.
 * Per-task detail of a team run lives in board.json, not here, so this file stays small.
 */
import { z } from "zod";
import { SAFE_ID_RULE, isSafeId } from "../paths.js";
import { PipelineOptionsSchema, ReviewOptionsSchema, TeamOptionsSchema } from "./run-options.js";

/**
 * Where a run stands. `paused` stopped on purpose mid-run (--single-round, Ctrl-C) and continues
 * with --resume; `needs_human` waits on an ask; `budget_exhausted` stopped before a dispatch that
 * would have passed a cap; the other terminal states are final.
 */
export const RunStatusSchema = z.enum([
  "running",
  "paused",
  "needs_human",
  "succeeded",
  "failed",
  "cancelled",
  "budget_exhausted",
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

/** The format of run.json this bosun writes. */
export const RUN_FILE_VERSION = 2 as const;

const runBase = {
  /** Format version. */
  version: z.literal(RUN_FILE_VERSION),
  /** Run id (directory name). */
  id: z.string().refine(isSafeId, SAFE_ID_RULE),
  /** Current status. */
  status: RunStatusSchema,
  /** ISO time of creation. */
  createdAt: z.string(),
  /** ISO time of the last event. */
  updatedAt: z.string(),
  /** One line of the goal, for listings. */
  title: z.string(),
  /** HEAD when the run started. */
  baseCommit: z.string(),
  /** The run this one follows up, if any. */
  parentRunId: z.string().optional(),
  /** Total USD across dispatches (estimated where the CLI gives only tokens). */
  costUsd: z.number().nonnegative(),
  /** Token totals across dispatches. */
  tokens: TokenTotalsSchema,
  /** Number of events in events.jsonl. */
  eventCount: z.number().int().nonnegative(),
  /** Asks waiting for a human, oldest first. */
  openAskIds: z.array(z.string()),
  /** Why the run failed, paused or needs a human. */
  reason: z.string().optional(),
  /** Round in progress or last finished of that task (0 before the first). */
  round: z.number().int().nonnegative(),
  /** Last step finished, e.g. "worker.completed", "review.completed". */
  step: z.string(),
  /** Latest checkpoint commit bosun made or measured (a team run: the integration head). */
  headCommit: z.string(),
};

/** run.json of a review run. */
export const ReviewRunSchema = z.object({
  ...runBase,
  /** Which flow runs it. */
  flow: z.literal("review"),
  /** The one task a review works on (a directory name under tasks/). */
  taskId: z.string().refine(isSafeId, SAFE_ID_RULE),
  /** Options fixed at start. */
  options: ReviewOptionsSchema,
});

/** run.json of a team run. */
export const TeamRunSchema = z.object({
  ...runBase,
  /** Which flow runs it. */
  flow: z.literal("team"),
  /** The task in the news last. */
  taskId: z.string().refine(isSafeId, SAFE_ID_RULE).optional(),
  /** Options fixed at start. */
  options: TeamOptionsSchema,
  /** The run's integration branch. */
  integrationBranch: z.string(),
});

/** run.json of a pipeline run. */
export const PipelineRunSchema = z.object({
  ...runBase,
  /** Which flow runs it. */
  flow: z.literal("pipeline"),
  /** The task the run works on (its runs share request history and the clarification ledger). */
  taskId: z.string().refine(isSafeId, SAFE_ID_RULE),
  /** How deep in a chain of follow-ups the run is (0: started by a human). */
  depth: z.number().int().nonnegative(),
  /** Options fixed at start. */
  options: PipelineOptionsSchema,
  /** The pair (and phase) in progress or last finished: `plan`, `implement/<phase>`, … */
  phase: z.string().optional(),
  /** The follow-up run this run started for the gaps its audit found. */
  followupRunId: z.string().optional(),
});

/** run.json */
export const RunSchema = z.discriminatedUnion("flow", [
  ReviewRunSchema,
  TeamRunSchema,
  PipelineRunSchema,
]);

/** A run snapshot. */
export type Run = z.infer<typeof RunSchema>;

/** A review run's snapshot. */
export type ReviewRun = Extract<Run, { flow: "review" }>;

/** A team run's snapshot. */
export type TeamRun = Extract<Run, { flow: "team" }>;

/** A pipeline run's snapshot. */
export type PipelineRun = Extract<Run, { flow: "pipeline" }>;
