/** `.bosun/costs.jsonl`: one line per finished dispatch, across all runs. */
import { z } from "zod";

/** One dispatch's cost. */
export const CostLineSchema = z.object({
  /** ISO time. */
  ts: z.string(),
  /** Run id. */
  runId: z.string(),
  /** Task id. */
  taskId: z.string(),
  /** Round. */
  round: z.number().int().nonnegative(),
  /** Role played. */
  role: z.string(),
  /** Harness name. */
  harness: z.string(),
  /** Model, if known. */
  model: z.string().optional(),
  /** Input tokens (cached included). */
  inputTokens: z.number().nonnegative(),
  /** Cached input tokens. */
  cachedInputTokens: z.number().nonnegative(),
  /** Output tokens. */
  outputTokens: z.number().nonnegative(),
  /** USD. */
  costUsd: z.number().nonnegative(),
  /** True when computed from the price table rather than reported by the CLI. */
  isCostEstimated: z.boolean(),
});

/** A cost line. */
export type CostLine = z.infer<typeof CostLineSchema>;
