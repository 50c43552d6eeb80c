/** `.bosun/costs.jsonl`: one line per finished dispatch, across all runs. */
import { z } from "zod";

/**
 * One dispatch's cost. Lines written before journal version 2 have no `seat`: their `role` is
 * the seat (worker or reviewer).
 */
export const CostLineSchema = z.object({
  /** ISO time. */
  ts: z.string(),
  /** Run id. */
  runId: z.string(),
  /** Task id. */
  taskId: z.string(),
  /** Round. */
  round: z.number().int().nonnegative(),
  /** The seat the agent filled (worker, reviewer, critic, planner, …). */
  seat: z.string(),
  /** The SME discipline it played, when the flow assigns one. */
  role: z.string().optional(),
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
