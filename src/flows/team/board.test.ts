import { describe, expect, it } from "vitest";
import {
  TEAM_RUN_ID,
  makeDispatch,
  makeJournal,
  makePlan,
  makePlanTask,
  makeTeamCreated,
} from "../../../test/helpers/team-run.js";
import { buildRunIndex } from "../../store/run-index.js";
import { reduceRunEvents } from "../../store/run-state.js";
import { BoardSchema, type BoardTask } from "../../store/schema/board.js";
import type { RunEvent, RunEventInput } from "../../store/schema/events.js";
import type { Plan } from "../../store/schema/plan.js";
import type { TeamRun } from "../../store/schema/run.js";
import { buildBoard } from "./board.js";

/**
 *   schema (30 min) ──> api (60) ──> ui (20)      critical path: schema → api → ui
 *          └──────────> ops (15)
 *   docs (10)
 */
const PLAN = makePlan([
  makePlanTask("schema", [], { estimate: { minutes: 30 } }),
  makePlanTask("api", ["schema"], { estimate: { minutes: 60 }, title: "The settings API" }),
  makePlanTask("ui", ["api"], { role: "frontend", estimate: { minutes: 20 }, priority: 2 }),
  makePlanTask("docs", [], { role: "docs", estimate: { minutes: 10 } }),
  makePlanTask("ops", ["schema", "docs"], { role: "devops", estimate: { minutes: 15 } }),
]);

const M1 = "1".repeat(40);
const M2 = "2".repeat(40);

/** A task's work from its first status to an accepted round, in its own worktree. */
function startTask(taskId: string, harness: string, costUsd: number): RunEventInput[] {
  return [
    { type: "task.status", taskId, status: "running" },
    {
      type: "worktree.created",
      taskId,
      dir: `/wt/${taskId}`,
      branch: `bosun/${TEAM_RUN_ID}/${taskId}`,
      base: "b".repeat(40),
    },
    { type: "round.started", taskId, round: 1, head: "b".repeat(40) },
    ...makeDispatch(taskId, 1, "worker", harness, costUsd),
  ];
}

function merge(taskId: string, commit: string, previous: string): RunEventInput[] {
  return [
    { type: "round.completed", taskId, round: 1, verdict: "accept", fixItems: 0 },
    { type: "task.status", taskId, status: "accepted" },
    { type: "merge.started", taskId, source: "c".repeat(40), expectedOld: previous },
    { type: "merge.completed", taskId, commit, previous },
    { type: "task.status", taskId, status: "merged" },
  ];
}

/**
 * schema merged and its worktree removed; api in its second round with another harness, the
 * worker still at work; docs merged then reverted and queued for a retry; ops escalated with an
 * open ask; ui never started. The planner's own dispatch counts for the run, not for a task.
 */
const EVENTS: RunEvent[] = makeJournal([
  makeTeamCreated(),
  ...makeDispatch("plan", 1, "planner", "claude", 0.02),
  { type: "plan.created", taskIds: PLAN.tasks.map((task) => task.id), attempt: 1 },
  { type: "plan.approved", by: "auto" },
  ...startTask("schema", "claude", 0.1),
  ...makeDispatch("schema", 1, "critic", "codex", 0.05),
  ...merge("schema", M1, "b".repeat(40)),
  { type: "worktree.removed", taskId: "schema", dir: "/wt/schema" },
  ...startTask("api", "claude", 0.2),
  { type: "round.completed", taskId: "api", round: 1, verdict: "fix", fixItems: 2 },
  { type: "round.started", taskId: "api", round: 2, head: "d".repeat(40) },
  {
    type: "dispatch.started",
    taskId: "api",
    round: 2,
    seat: "worker",
    harness: "codex",
    attempt: 1,
  },
  ...startTask("docs", "gemini", 0.03),
  ...merge("docs", M2, M1),
  { type: "merge.reverted", taskId: "docs", commit: M2, restored: M1, reason: "npm test failed" },
  {
    type: "task.status",
    taskId: "docs",
    status: "retry_queued",
    reason: "reverted: npm test failed after the merge",
    failures: 1,
    retryAt: "2026-12-01T10:00:00.000Z",
  },
  ...startTask("ops", "claude", 0.04),
  { type: "ask.created", askId: "ask-ops-1", taskId: "ops", question: "Which cloud?" },
  {
    type: "task.status",
    taskId: "ops",
    status: "needs_human",
    reason: "the critic and worker disagree",
  },
]);

function makeBoard(events: readonly RunEvent[], plan: Plan | null = PLAN) {
  const run = reduceRunEvents(events, TEAM_RUN_ID);
  if (run.flow !== "team") throw new Error("expected a team run");
  return buildBoard(run satisfies TeamRun, buildRunIndex(events), plan);
}

function getTask(tasks: readonly BoardTask[], id: string): BoardTask {
  const task = tasks.find((entry) => entry.id === id);
  if (task === undefined) throw new Error(`no task ${id} on the board`);
  return task;
}

describe("buildBoard", () => {
  it("gives each planned task its status, cost, round, harness, worktree and waits", () => {
    const board = makeBoard(EVENTS);
    expect(board.tasks.map((task) => [task.id, task.status])).toEqual([
      ["schema", "merged"],
      ["api", "running"],
      ["ui", "pending"],
      ["docs", "retry_queued"],
      ["ops", "needs_human"],
    ]);
    expect(getTask(board.tasks, "schema")).toEqual({
      id: "schema",
      title: "Task schema",
      role: "backend",
      status: "merged",
      priority: 3,
      dependsOn: [],
      blockedBy: [],
      round: 1,
      harness: "claude",
      costUsd: 0.15,
      mergedCommit: M1,
      openAskIds: [],
      isCritical: true,
    });
    expect(getTask(board.tasks, "api")).toMatchObject({
      title: "The settings API",
      round: 2,
      // The last worker dispatch started, though it has not finished.
      harness: "codex",
      costUsd: 0.2,
      worktree: { dir: "/wt/api", branch: `bosun/${TEAM_RUN_ID}/api` },
      blockedBy: [],
    });
    expect(getTask(board.tasks, "ui")).toEqual({
      id: "ui",
      title: "Task ui",
      role: "frontend",
      status: "pending",
      priority: 2,
      dependsOn: ["api"],
      blockedBy: ["api"],
      round: 0,
      costUsd: 0,
      openAskIds: [],
      isCritical: true,
    });
    expect(getTask(board.tasks, "ops")).toMatchObject({
      blockedBy: ["docs"],
      reason: "the critic and worker disagree",
      openAskIds: ["ask-ops-1"],
      isCritical: false,
    });
  });

  it("takes a reverted merge back: no merged commit, the reason and the retry, and its dependents wait again", () => {
    const board = makeBoard(EVENTS);
    const docs = getTask(board.tasks, "docs");
    expect(docs.mergedCommit).toBeUndefined();
    expect(docs).toMatchObject({
      reason: "reverted: npm test failed after the merge",
      failures: 1,
      retryAt: "2026-12-01T10:00:00.000Z",
      costUsd: 0.03,
    });
    expect(board.headCommit).toBe(M1);
    // Before the revert, docs was merged and ops waited on nothing.
    const beforeRevert = EVENTS.findIndex((event) => event.type === "merge.reverted");
    const earlier = makeBoard(EVENTS.slice(0, beforeRevert));
    expect(getTask(earlier.tasks, "docs")).toMatchObject({ status: "merged", mergedCommit: M2 });
    expect(getTask(earlier.tasks, "ops").blockedBy).toEqual([]);
    expect(getTask(board.tasks, "ops").blockedBy).toEqual(["docs"]);
    expect(earlier.headCommit).toBe(M2);
  });

  it("marks the critical path and totals the run: statuses, the run's cost and its budget", () => {
    const board = makeBoard(EVENTS);
    expect(board.criticalPath).toEqual(["schema", "api", "ui"]);
    expect(board.criticalPathMinutes).toBe(110);
    expect(board.tasks.filter((task) => task.isCritical).map((task) => task.id)).toEqual([
      "schema",
      "api",
      "ui",
    ]);
    expect(board.totals).toEqual({
      tasks: 5,
      byStatus: {
        pending: 1,
        running: 1,
        retry_queued: 1,
        accepted: 0,
        merged: 1,
        needs_human: 1,
        failed: 0,
        cancelled: 0,
      },
      // The planner's $0.02 is the run's, in no task's row.
      costUsd: 0.44,
      budgetUsd: 5,
    });
    expect(board).toMatchObject({
      version: 1,
      runId: TEAM_RUN_ID,
      runStatus: "running",
      eventCount: EVENTS.length,
      updatedAt: EVENTS.at(-1)?.ts,
      hasPlan: true,
      integrationBranch: `bosun/${TEAM_RUN_ID}`,
    });
    expect(BoardSchema.safeParse(board).success).toBe(true);
  });

  it("shows the conflicts the live run noted for a task, and nothing for the others", () => {
    const run = reduceRunEvents(EVENTS, TEAM_RUN_ID);
    if (run.flow !== "team") throw new Error("expected a team run");
    const note = "Tasks api and docs are changing the same lines of src/api.ts";
    const board = buildBoard(run, buildRunIndex(EVENTS), PLAN, (taskId) =>
      taskId === "api" || taskId === "docs" ? [note] : [],
    );
    expect(getTask(board.tasks, "api").conflicts).toEqual([note]);
    expect(getTask(board.tasks, "docs").conflicts).toEqual([note]);
    expect(getTask(board.tasks, "ui")).not.toHaveProperty("conflicts");
  });

  it("has no tasks before the plan exists", () => {
    const board = makeBoard(EVENTS.slice(0, 3), null);
    expect(board).toMatchObject({ hasPlan: false, tasks: [], criticalPath: [], eventCount: 3 });
    expect(board.totals.tasks).toBe(0);
    expect(Object.values(board.totals.byStatus).every((count) => count === 0)).toBe(true);
    expect(BoardSchema.safeParse(board).success).toBe(true);
  });
});
