/**
 * bosun.yaml / ~/.config/bosun/config.yaml: the written shape (every key optional, what a
 * human edits) and the normalized shape (every default applied), kept apart on purpose.
 */
import { z } from "zod";
import { MAX_ROUNDS, MAX_TIMER_SEC } from "../limits.js";
import { SAFE_ID_RULE, isSafeId } from "../paths.js";
import {
  NOTIFY_KINDS,
  PULSE_APPROVAL_MODES,
  type NotifyKind,
  type PulseApprovalMode,
} from "./config-defaults.js";
import { MAX_ACTIONS_PER_DECISION } from "./pulse-decision.js";
import { PIPELINE_PAIRS, PipelinePairSchema, type PipelinePair } from "./run-options.js";

/** Seconds that become a timer: 0 or more, at most MAX_TIMER_SEC. */
function createTimerSecSchema(zeroMeans?: string): z.ZodNumber {
  const hint = zeroMeans === undefined ? "" : `; 0 means ${zeroMeans}`;
  return z
    .number()
    .nonnegative(`must be 0 or more seconds${hint}`)
    .max(
      MAX_TIMER_SEC,
      `must be at most ${MAX_TIMER_SEC} seconds (about 24 days), the longest a timer can wait${hint}`,
    );
}

/** A string that must say something: not empty, not only spaces. */
const NonBlankSchema = z.string().regex(/\S/, "must not be empty or blank");

/** Per-harness overrides a user may write under `agents.<name>`. */
export const AgentOverrideSchema = z.strictObject({
  /** Binary to run instead of the harness default (name on PATH or absolute path). */
  command: NonBlankSchema.optional(),
  /** Command template for custom harnesses: `mytool --file {{prompt_file}} -m {{model}}`. */
  template: NonBlankSchema.optional(),
  /** Output parser for a custom harness. */
  parser: z.enum(["claude", "codex", "gemini", "opencode", "pi", "plain"]).optional(),
  /** Extra arguments appended to the headless command. */
  args: z.array(z.string()).optional(),
  /** Model name passed with the harness's model flag. */
  model: z.string().optional(),
  /** Thinking/effort level passed with the harness's thinking flag. */
  thinking: z.string().optional(),
  /** Non-secret environment overrides for this agent. */
  env: z.record(z.string(), z.string()).optional(),
  /** Offline agent only: the script file it plays (relative paths are from the repository root). */
  script: NonBlankSchema.optional(),
});

/** A path a team role owns: relative to the repository root and inside it. */
const OwnedPathSchema = NonBlankSchema.refine(
  (value) => !value.startsWith("/") && !value.split(/[\\/]/).includes(".."),
  "must be relative to the repository root and stay inside it (no leading / and no ..)",
);

/** Who plays one team role, under `team.<role>` (the role is a built-in one or docs/roles/<role>.md). */
export const TeamMemberSchema = z.strictObject({
  /** Harness that runs the role (a built-in agent CLI, or one defined under `agents:`). */
  harness: NonBlankSchema.optional(),
  /** Model passed with the harness's model flag. */
  model: NonBlankSchema.optional(),
  /** Thinking/effort level passed with the harness's thinking flag. */
  thinking: NonBlankSchema.optional(),
  /** Files and directories the role owns, relative to the repository root. */
  paths: z.array(OwnedPathSchema).optional(),
});

/** USD per million tokens, used where the CLI reports tokens but no cost (Codex). */
export const PriceSchema = z.strictObject({
  /** Uncached input tokens. */
  inputPerMTok: z.number().nonnegative(),
  /** Cached input tokens. */
  cachedInputPerMTok: z.number().nonnegative().optional(),
  /** Output tokens, reasoning included. */
  outputPerMTok: z.number().nonnegative(),
});

/** What a comma list of pairs must be (autoloop's `runtime.pairs` spelling). */
const PAIR_LIST_RULE = `must be some of ${PIPELINE_PAIRS.join(",")}, comma-separated, in that order`;

/** True when `value` is "plan,implement,…": known pairs, each once, in the pipeline's order. */
function isPairList(value: string): boolean {
  const names: readonly string[] = PIPELINE_PAIRS;
  const positions = value.split(",").map((name) => names.indexOf(name.trim()));
  return (
    positions.length > 0 &&
    positions.every((at, index) => at >= 0 && (index === 0 || at > positions[index - 1]!))
  );
}

/** A relative path that stays inside the repository. */
function isRepoRelative(value: string): boolean {
  return value !== "" && !value.startsWith("/") && !value.split(/[\\/]/).includes("..");
}

/** The config file as written. */
export const WrittenConfigSchema = z.strictObject({
  /** Format version of this file. */
  version: z.literal(1).optional(),
  /** Defaults for `bosun review`. */
  review: z
    .strictObject({
      /** Harness of the worker. */
      worker: z.string().optional(),
      /** Harness of the reviewer. */
      reviewer: z.string().optional(),
      /** Rounds before the run asks a human. */
      maxRounds: z.number().int().positive().max(MAX_ROUNDS).optional(),
      /** Shell command that must pass after each worker round ("" for none). */
      verify: z.string().optional(),
    })
    .optional(),
  /** Defaults for `bosun pipeline` (autoloop's `runtime:` keys, as bosun names them). */
  pipeline: z
    .strictObject({
      /** The pairs to run, in order: a list, or "plan,implement,test,audit" as autoloop writes it. */
      pairs: z
        .union([z.array(PipelinePairSchema).min(1), z.string().refine(isPairList, PAIR_LIST_RULE)])
        .optional(),
      /** Iterations a pair may take before it fails. */
      maxIterations: z.number().int().positive().max(MAX_ROUNDS).optional(),
      /** multi: implement and test per phase; single: once over the whole plan. */
      phaseMode: z.enum(["single", "multi"]).optional(),
      /** What a new run of a task that has runs does with its request. */
      intentMode: z.enum(["preserve", "replace", "append"]).optional(),
      /** Harness of the producers ("" to pick one). */
      producer: z.string().optional(),
      /** Harness of the verifiers ("" to pick a different one than the producer's). */
      verifier: z.string().optional(),
      /** The project's test command, the gate of the implement and test pairs ("" for none). */
      verify: z.string().optional(),
      /** A model answers verifiers' questions instead of a human. */
      fullAutoAnswers: z.boolean().optional(),
      /** No git: no checkpoints, no diffs (autoloop's no_git). */
      noGit: z.boolean().optional(),
      /** Gaps the audit finds start a follow-up run (autoloop's auto_followup). */
      followup: z.boolean().optional(),
      /** How deep follow-ups of follow-ups may go (autoloop's auto_followup_max_depth). */
      followupDepth: z.number().int().nonnegative().max(MAX_ROUNDS).optional(),
    })
    .optional(),
  /** How agents are spawned. */
  dispatch: z
    .strictObject({
      /** Per-dispatch timeout in seconds (0 = none). */
      timeoutSec: createTimerSecSchema("no timeout").optional(),
      /** Retries for transient failures. */
      retries: z.number().int().nonnegative().optional(),
      /** First retry delay in seconds; doubles each time. */
      retryBaseSec: createTimerSecSchema().optional(),
      /** Longest retry delay in seconds. */
      retryCapSec: createTimerSecSchema().optional(),
      /** Seconds between SIGTERM and SIGKILL when stopping an agent. */
      graceSec: createTimerSecSchema().optional(),
      /** An agent silent this long (no tool call open) is stalled: killed and retried (0 = off). */
      stallTimeoutSec: createTimerSecSchema("no stall check").optional(),
      /** One tool call open this long with no output is stalled (0 = off). */
      toolCallTimeoutSec: createTimerSecSchema("no tool-call check").optional(),
      /** The same tool call failing this many times in a row is stalled (0 = off). */
      repeatedToolFailures: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** Per-harness overrides and custom harnesses, by name. */
  agents: z.record(z.string(), AgentOverrideSchema).optional(),
  /** Token prices by model name. */
  prices: z.record(z.string(), PriceSchema).optional(),
  /** Each team task's worktree (`bosun run`): how it is made ready before its first round. */
  worktree: z
    .strictObject({
      /** Shell command run in a new worktree, e.g. "npm ci" ("" for none). */
      setup: z.string().optional(),
      /** Untracked files copied from the user's checkout into each new worktree (e.g. ".env"). */
      copy: z
        .array(z.string().refine(isRepoRelative, "must be a path inside the repository"))
        .optional(),
    })
    .optional(),
  /** A command told about asks, finished runs and budgets (README: "Notifications"). */
  notify: z
    .strictObject({
      /** Run with the notification as JSON on stdin: a shell command line, or an argv list ("" for none). */
      command: z.union([z.string(), z.array(NonBlankSchema).min(1)]).optional(),
      /** Which kinds of notification to send (default: all). */
      on: z.array(z.enum(NOTIFY_KINDS)).optional(),
      /** The command is killed after this long (0 = no limit). */
      timeoutSec: createTimerSecSchema("no limit").optional(),
    })
    .optional(),
  /** The autonomous loop (`bosun pulse`; README: "The pulse"). */
  pulse: z
    .strictObject({
      /** Harness of the brain: one headless call per decision. */
      brain: z.string().optional(),
      /** The brain's model ("" for the harness's default). */
      brainModel: z.string().optional(),
      /** Harness of the workers `start_worker` launches (a move may name another). */
      worker: z.string().optional(),
      /** manual: every move is asked; auto: safe moves run, destructive ones are asked; full: only irreversible moves are asked. */
      approval: z.enum(PULSE_APPROVAL_MODES).optional(),
      /** Seconds between beats when nothing wakes the loop sooner. */
      intervalSec: createTimerSecSchema().min(1, "must be at least 1 second").optional(),
      /** An unchanged world is decided again after this long (0 = never). */
      noopTtlSec: createTimerSecSchema("never").optional(),
      /** Moves one decision may hold (1 to 8). */
      maxActions: z.number().int().min(1).max(MAX_ACTIONS_PER_DECISION).optional(),
      /** Commands `run_command` may run without asking, matched as leading words ("npm test"). */
      allow: z.array(NonBlankSchema).optional(),
      /** Brain calls allowed per rolling hour (0 = none: the loop only senses). */
      brainCallsPerHour: z.number().int().nonnegative().optional(),
      /** USD the brain and the loop's workers may spend per UTC day (0 = no cap). */
      budgetUsdPerDay: z.number().nonnegative().optional(),
      /** Each sensor is killed after this long. */
      sensorTimeoutSec: createTimerSecSchema().min(1, "must be at least 1 second").optional(),
      /** A worker silent this long is stuck. */
      workerStuckSec: createTimerSecSchema().min(1, "must be at least 1 second").optional(),
    })
    .optional(),
  /** Team roles by id: which harness, model and thinking level plays each, and what it owns. */
  team: z
    .record(z.string(), TeamMemberSchema)
    // A role id names docs/roles/<id>.md; zod's own key check would only say "Invalid key".
    .superRefine((team, ctx) => {
      for (const id of Object.keys(team)) {
        if (!isSafeId(id))
          ctx.addIssue({ code: "custom", path: [id], message: `not a role id: ${SAFE_ID_RULE}` });
      }
    })
    .optional(),
});

/** The config file as written. */
export type WrittenConfig = z.infer<typeof WrittenConfigSchema>;
/** Per-harness overrides. */
export type AgentOverride = z.infer<typeof AgentOverrideSchema>;
/** A model's token prices. */
export type Price = z.infer<typeof PriceSchema>;
/** Who plays one team role. */
export type TeamMember = z.infer<typeof TeamMemberSchema>;

/** The resolved config, every default applied. */
export interface Config {
  /** Review defaults. */
  review: { worker: string; reviewer: string; maxRounds: number; verify: string };
  /** Pipeline defaults ("" harnesses: picked from what is installed). */
  pipeline: {
    pairs: PipelinePair[] | string;
    maxIterations: number;
    phaseMode: "single" | "multi";
    intentMode: "preserve" | "replace" | "append";
    producer: string;
    verifier: string;
    verify: string;
    fullAutoAnswers: boolean;
    noGit: boolean;
    followup: boolean;
    followupDepth: number;
  };
  /** Dispatch settings. */
  dispatch: {
    timeoutSec: number;
    retries: number;
    retryBaseSec: number;
    retryCapSec: number;
    graceSec: number;
    stallTimeoutSec: number;
    toolCallTimeoutSec: number;
    repeatedToolFailures: number;
  };
  /** Per-harness overrides. */
  agents: Record<string, AgentOverride>;
  /** Token prices. */
  prices: Record<string, Price>;
  /** Team roles by id. */
  team: Record<string, TeamMember>;
  /** How each team task's worktree is made ready. */
  worktree: { setup: string; copy: string[] };
  /** Notifications ("" command: none). */
  notify: { command: string | string[]; on: NotifyKind[]; timeoutSec: number };
  /** The autonomous loop. */
  pulse: {
    brain: string;
    brainModel: string;
    worker: string;
    approval: PulseApprovalMode;
    intervalSec: number;
    noopTtlSec: number;
    maxActions: number;
    allow: string[];
    brainCallsPerHour: number;
    budgetUsdPerDay: number;
    sensorTimeoutSec: number;
    workerStuckSec: number;
  };
}

// In their own module, without zod, for the help text every CLI start prints from them.
export { DEFAULT_CONFIG } from "./config-defaults.js";
