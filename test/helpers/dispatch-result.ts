/** A finished agent call as dispatch returns it, for tests that stand in for the agent. */
import type { DispatchResult } from "../../src/agents/dispatch.js";

/** A successful call that cost `costUsd`. */
export function makeDispatchResult(costUsd = 0.25): DispatchResult {
  return {
    exitCode: 0,
    costUsd,
    isCostEstimated: false,
    tokens: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 },
    finalText: "done",
    durationMs: 7,
    spawns: 1,
    fileEdits: [],
    toolUses: 0,
    warnings: [],
  };
}
