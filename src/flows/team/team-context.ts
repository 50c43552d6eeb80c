/**
 * What every part of a team run shares: the run context, the run's options and plan, where its
 * integration branch lives, and who plays which role.
 */
import type { Plan, PlanTask } from "../../store/schema/plan.js";
import type { TeamOptions } from "../../store/schema/run-options.js";
import type { RunContext } from "../flow-context.js";
import type { ChangeMeasurer } from "./change-measurer.js";
import type { IntegrationHead } from "./integration-head.js";
import type { OverlapNotes } from "./overlap-notes.js";
import type { TeamRole } from "./roles.js";

/** Task ids a plan may not use: bosun's own scopes and branch names. */
export const RESERVED_TASK_IDS: readonly string[] = ["plan", "integration"];

/** The planner's scope in the journal (its dispatches are round 1, 2… of this pseudo-task). */
export const PLAN_TASK_ID = "plan";

/** Shared state of one team run. */
export interface TeamContext {
  /** The run. */
  readonly ctx: RunContext;
  /** Options fixed at start (as changed with --resume). */
  readonly options: TeamOptions;
  /** The goal, as given (request.md). */
  readonly goal: string;
  /** HEAD when the run started: the integration branch's first commit. */
  readonly baseCommit: string;
  /** The user's checkout (where `.bosun/` lives); never written by a task. */
  readonly mainRoot: string;
  /** `refs/heads/bosun/<run>/integration`. */
  readonly integrationRef: string;
  /** Where the integration branch points, kept current by the merge queue. */
  readonly integrationHead: IntegrationHead;
  /** The integration branch checked out (detached) for the baseline and merge tests. */
  readonly integrationDir: string;
  /** Roles by id (built-in and the project's docs/roles/). */
  readonly roles: ReadonlyMap<string, TeamRole>;
  /** `.bosun/intelligence.md`, when `bosun learn` wrote it. */
  readonly intelligence: string | null;
  /** The command that continues the run. */
  readonly resumeCommand: string;
  /** What each running task has changed so far (shared by the scheduler and the conflict checks). */
  readonly changes: ChangeMeasurer;
  /** Conflicts found between running tasks, for both workers' next prompts. */
  readonly overlapNotes: OverlapNotes;
}

/** The integration branch's short name for run `runId`. */
export function getIntegrationBranch(runId: string): string {
  return `bosun/${runId}/integration`;
}

/** A task's branch. */
export function getTaskBranch(runId: string, taskId: string): string {
  return `bosun/${runId}/${taskId}`;
}

/** The harness a task's worker runs on: its role's `team:` entry, else the run's default. */
export function getWorkerHarness(team: TeamContext, task: PlanTask): string {
  return team.ctx.config.team[task.role]?.harness ?? team.options.worker;
}

/**
 * The test command that gates each task ("" for none): the run's, unless bosun found it itself
 * and it was red on the base commit, where it can grade nothing (dependencies not installed, a
 * broken suite) and would only send every task to a human.
 */
export function getTaskVerify(team: TeamContext): string {
  const { verify, isVerifyFound } = team.options;
  return isVerifyFound === true && team.ctx.state.baseline?.passed === false ? "" : verify;
}

/** The task of a plan by id (the plan was checked: ids are unique). */
export function getPlanTask(plan: Plan, taskId: string): PlanTask | undefined {
  return plan.tasks.find((task) => task.id === taskId);
}
