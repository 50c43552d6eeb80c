/**
 * What every step of a running flow shares (the run) and what one round works on (its scope).
 * A team run has one RunContext and many RoundScopes at once: one per task, each in its own
 * working tree; a review has one scope per round, in the user's checkout.
 */
import type { AgentRunner } from "../agents/dispatch.js";
import type { HarnessPauses } from "../agents/harness-pause.js";
import type { BudgetExhaustedError } from "../errors.js";
import type { BosunPaths, RoundFileName } from "../store/paths.js";
import type { RunIndex } from "../store/run-index.js";
import type { Config } from "../store/schema/config.js";
import type { RunEvent, RunEventInput, Seat } from "../store/schema/events.js";
import type { BosunEvent } from "./events.js";
import type { TreeLooks } from "./tree-look.js";

/** Shared state of one flow run. */
export interface RunContext {
  /** Paths of the repository (`.bosun/` lives in its main checkout). */
  paths: BosunPaths;
  /** Resolved config. */
  config: Config;
  /** Run id. */
  runId: string;
  /** The run's indexed state, current after every recorded event. */
  readonly state: RunIndex;
  /** Cancels agents and waits. */
  signal?: AbortSignal;
  /** Appends an event durably, then tells subscribers. */
  record(event: RunEventInput): Promise<RunEvent>;
  /** Tells subscribers something live (not persisted). */
  emit(event: BosunEvent): void;
  /** Runs agent calls; `dispatch` when absent (tests inject a fake, fleets a remote runner). */
  runAgent?: AgentRunner;
  /** Provider pauses shared by the run's agent calls (createHarnessPauses); per call when absent. */
  pauses?: HarnessPauses;
  /** Budget checks around every dispatch (team runs); absent: no cap. */
  budget?: DispatchBudget;
  /**
   * bosun's last look at each round's working tree, reused by the step right after (team runs,
   * whose worktrees only bosun's steps touch); absent: every step asks git.
   */
  looks?: TreeLooks;
  /**
   * No git (a pipeline with --no-git, in a folder that may not be a repository): no checkpoints,
   * no HEAD to reconcile, no diffs; heads are recorded as "".
   */
  isGitless?: boolean;
}

/**
 * Money set aside before a dispatch starts, so parallel dispatches can never together pass a
 * cap (every peer checks after the fact, and overruns).
 */
export interface DispatchBudget {
  /**
   * Reserves money for the dispatch, or throws a BudgetExhaustedError (nothing started).
   * `harness.isCapped`: its CLI can cap its own spend (Claude Code's `--max-budget-usd`), so it
   * reserves the cap it is given and must be handed `capUsd`; else it reserves its estimate.
   */
  reserve(
    scope: RoundScope,
    seat: Seat,
    harness: { name: string; isCapped: boolean },
  ): DispatchReservation;
}

/** What `DispatchBudget.reserve` set aside for one dispatch, and how to end it. */
export interface DispatchReservation {
  /** What the dispatch is expected to cost, in USD (what an uncapped call sets aside). */
  estimateUsd: number;
  /**
   * For a capped call: the most it may spend, in USD, which is also what is set aside for it.
   * Pass exactly this to the CLI (`DispatchRequest.maxBudgetUsd`). Absent: not capped.
   */
  capUsd?: number;
  /**
   * Ends the reservation with what the call cost; `null` when bosun cannot know (it failed, was
   * killed or stopped): counted at the estimate, or at the cap for a capped call (it may have
   * spent up to its cap).
   */
  settle(actualUsd: number | null): void;
  /**
   * Ends a capped call whose CLI stopped it for spending its whole cap (Claude Code's
   * `error_max_budget_usd`), at what it cost, and returns the budget stop to throw in place of
   * the agent's failure: the cap that bounded the call's (the run's or its task's) refused it.
   */
  settleCapSpent(actualUsd: number): BudgetExhaustedError;
}

/** What one round of one task works on. */
export interface RoundScope {
  /** The task. */
  taskId: string;
  /** The flow's phase, when it has phases. */
  phase?: string;
  /** Round number (per task and phase). */
  round: number;
  /** The working tree the round's agents and gates run in. */
  cwd: string;
  /** Harness of each seat the round fills. */
  harnesses: Partial<Record<Seat, string>>;
  /** The SME discipline the worker plays (team runs). */
  role?: string;
  /** The worker's model and thinking level when its role names them (bosun.yaml team:), over the harness's own. */
  workerModel?: { model?: string; thinking?: string };
  /**
   * The tree must be clean when the round starts, also in round 1 (a pipeline's stages share one
   * tree: changes found before a stage's first iteration are a human's, not its producer's).
   */
  isCleanStartRequired?: boolean;
  /** Rounds this task may take before a human is asked (shown to the worker). */
  maxRounds: number;
  /** Per-dispatch and verify-command timeout in seconds (0 = none). */
  timeoutSec: number;
  /** The command that continues the run, for messages that ask the user to fix something first. */
  resumeCommand: string;
  /**
   * The run keeps its test command for life (a team run, a pipeline: `--resume` refuses
   * `--verify`), so one that cannot run is fixed by starting a new run, not by resuming.
   */
  isVerifyFixed?: boolean;
  /** Extra environment for the round's agents and commands (a worktree's BOSUN_PORT). */
  env?: Readonly<Record<string, string>>;
}

/** A file of the scope's round (its directory depends on the task and, where there is one, the phase). */
export function getRoundFile(ctx: RunContext, scope: RoundScope, name: RoundFileName): string {
  return ctx.paths.roundFile(ctx.runId, scope.taskId, scope.round, name, scope.phase);
}
