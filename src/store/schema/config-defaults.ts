/**
 * bosun's built-in config values. Apart from the schemas (config.ts) so the CLI can show them in
 * its help without loading zod and building every config schema at each start.
 */
import type { Config } from "./config.js";

/**
 * What `notify:` can be told about: an ask opened, a run completed (succeeded, failed, cancelled,
 * needs a human, budget exhausted: the status is in the notification), a budget cap hit, and a
 * run's spend reaching NOTIFY_BUDGET_NEAR_RATIO of its cap.
 */
export const NOTIFY_KINDS = [
  "ask.opened",
  "run.finished",
  "budget.exhausted",
  "budget.near",
] as const;

/** A kind of notification. */
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

/** "Near the cap": this share of a run's budget spent (a team run's --budget-usd). */
export const NOTIFY_BUDGET_NEAR_RATIO = 0.8;

/**
 * How far the pulse acts on its own: `manual` asks a human before every move, `auto` runs safe
 * moves and asks before destructive ones, `full` asks only before irreversible ones (merge,
 * deploy, delete), which are never taken on the brain's word alone.
 */
export const PULSE_APPROVAL_MODES = ["manual", "auto", "full"] as const;

/** How far the pulse acts on its own. */
export type PulseApprovalMode = (typeof PULSE_APPROVAL_MODES)[number];

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
  notify: { command: "", on: [...NOTIFY_KINDS], timeoutSec: 30 },
  pulse: {
    brain: "claude",
    brainModel: "",
    worker: "claude",
    approval: "auto",
    intervalSec: 300,
    noopTtlSec: 3600,
    maxActions: 1,
    allow: ["git status", "git log", "git diff", "npm test", "npm run test", "ls", "cat"],
    brainCallsPerHour: 20,
    budgetUsdPerDay: 5,
    sensorTimeoutSec: 10,
    workerStuckSec: 600,
  },
  prices: {
    "gpt-5.5": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    "gpt-5": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    "gpt-5-codex": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    "gpt-5-mini": { inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 },
  },
};
