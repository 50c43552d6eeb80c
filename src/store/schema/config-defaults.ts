/**
 * bosun's built-in config values. Apart from the schemas (config.ts) so the CLI can show them in
 * its help without loading zod and building every config schema at each start.
 */
import type { Config } from "./config.js";

/**
 * Defaults. Prices are list prices at the time of writing, for cost *estimates* of CLIs that
 * report only tokens; override them in bosun.yaml.
 */
export const DEFAULT_CONFIG: Config = {
  review: { worker: "claude", reviewer: "codex", maxRounds: 3, verify: "" },
  pipeline: {
    pairs: ["plan", "implement", "test", "audit"],
    maxIterations: 15,
    phaseMode: "multi",
    intentMode: "preserve",
    producer: "",
    verifier: "",
    verify: "",
    fullAutoAnswers: false,
    noGit: false,
    followup: true,
    followupDepth: 3,
  },
  dispatch: {
    timeoutSec: 1800,
    retries: 2,
    retryBaseSec: 5,
    retryCapSec: 60,
    graceSec: 5,
    // Why 900 for a tool call: see DEFAULT_STALL_LIMITS in agents/stall-watch.ts.
    stallTimeoutSec: 300,
    toolCallTimeoutSec: 900,
    repeatedToolFailures: 4,
  },
  agents: {},
  team: {},
  worktree: { setup: "", copy: [] },
  prices: {
    "gpt-5.5": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    "gpt-5": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    "gpt-5-codex": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    "gpt-5-mini": { inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 },
  },
};
