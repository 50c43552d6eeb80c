import { describe, expect, it } from "vitest";
import { buildRunIndex, getRoundState, getTaskState } from "./run-index.js";
import type { RunEvent, RunEventInput } from "./schema/events.js";

function makeJournal(...inputs: RunEventInput[]): RunEvent[] {
  return inputs.map((input, index) => ({ ...input, seq: index + 1, ts: "2026-12-01T00:00:00Z" }));
}

const TOKENS = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
const task = { taskId: "T-1" } as const;
const worker = { ...task, round: 1, seat: "worker", harness: "offline", attempt: 1 } as const;

function completed(
  round: number,
  seat: "worker" | "reviewer",
  head: string,
  taskId = "T-1",
): RunEventInput {
  return {
    type: "dispatch.completed",
    taskId,
    round,
    seat,
    harness: "offline",
    attempt: 1,
    exitCode: 0,
    costUsd: 0.25,
    isCostEstimated: false,
    tokens: TOKENS,
    durationMs: 1,
    spawns: 1,
    head,
  };
}

/** The round's known head after the first `count` events. */
function knownHeadAfter(events: RunEvent[], count: number, round: number): string | undefined {
  return getRoundState(buildRunIndex(events.slice(0, count)), "T-1", round)?.knownHead;
}

describe("the round index: the HEAD bosun last saw or left", () => {
  it("follows the round's start, worker ends, moves and checkpoint, and ignores reviewers and other rounds", () => {
    const events = makeJournal(
      { type: "round.started", ...task, round: 1, head: "a" },
      { type: "dispatch.started", ...worker },
      completed(1, "worker", "b"),
      { type: "checkpoint.created", ...task, round: 1, commit: "c", parent: "a", filesChanged: [] },
      completed(1, "reviewer", "r"),
      { type: "round.started", ...task, round: 2, head: "c" },
    );
    expect(knownHeadAfter(events, 1, 1)).toBe("a");
    expect(knownHeadAfter(events, 3, 1)).toBe("b");
    expect(knownHeadAfter(events, 6, 1)).toBe("c");
    expect(knownHeadAfter(events, 6, 2)).toBe("c");
    expect(knownHeadAfter(events, 6, 3)).toBeUndefined();
  });

  it("takes the head a failed or cancelled worker left, and a later move", () => {
    const events = makeJournal(
      { type: "round.started", ...task, round: 1, head: "a" },
      { type: "dispatch.started", ...worker },
      { type: "dispatch.failed", ...worker, message: "x", isPermanent: false, head: "b" },
      {
        type: "head.moved",
        ...task,
        round: 1,
        from: "b",
        to: "u",
        commits: ["u user"],
        count: 1,
        stage: "worker",
      },
      { type: "dispatch.started", ...worker },
      { type: "dispatch.cancelled", ...worker, head: "w" },
    );
    expect(knownHeadAfter(events, 3, 1)).toBe("b");
    expect(knownHeadAfter(events, 4, 1)).toBe("u");
    expect(knownHeadAfter(events, 6, 1)).toBe("w");
  });

  it("keeps tasks apart: the same round number of two tasks never mixes", () => {
    const events = makeJournal(
      { type: "round.started", taskId: "A", round: 1, head: "a0" },
      { type: "round.started", taskId: "B", round: 1, head: "b0" },
      completed(1, "worker", "a1", "A"),
      { type: "gate.completed", taskId: "B", round: 1, name: "verify", passed: true, detail: "" },
    );
    const index = buildRunIndex(events);
    expect(getRoundState(index, "A", 1)?.knownHead).toBe("a1");
    expect(getRoundState(index, "B", 1)?.knownHead).toBe("b0");
    expect(getRoundState(index, "A", 1)?.gates.has("verify")).toBe(false);
    expect(getRoundState(index, "B", 1)?.gates.has("verify")).toBe(true);
    expect(getTaskState(index, "A")?.costUsd).toBe(0.25);
    expect(getTaskState(index, "B")?.costUsd).toBe(0);
  });
});

describe("the round index: where the change is measured from", () => {
  it("is the round's start, or where HEAD moved before the checkpoint; a move at the gates keeps it", () => {
    const events = makeJournal(
      { type: "round.started", ...task, round: 1, head: "a" },
      {
        type: "head.moved",
        ...task,
        round: 1,
        from: "a",
        to: "u",
        commits: [],
        count: 1,
        stage: "worker",
      },
      { type: "checkpoint.created", ...task, round: 1, commit: "c", parent: "u", filesChanged: [] },
      {
        type: "head.moved",
        ...task,
        round: 1,
        from: "c",
        to: "v",
        commits: [],
        count: 1,
        stage: "gates",
      },
    );
    expect(getRoundState(buildRunIndex(events.slice(0, 1)), "T-1", 1)?.base).toBe("a");
    expect(getRoundState(buildRunIndex(events), "T-1", 1)?.base).toBe("u");
  });
});

describe("the round index: open dispatches and checkpoints", () => {
  it("counts a dispatch open only between its start and its end", () => {
    const reviewer = {
      ...task,
      round: 1,
      seat: "reviewer",
      harness: "offline",
      attempt: 1,
    } as const;
    const events = makeJournal(
      { type: "round.started", ...task, round: 1, head: "a" },
      { type: "dispatch.started", ...reviewer },
      completed(1, "reviewer", "c"),
      { type: "dispatch.started", ...reviewer, attempt: 2 },
    );
    const openAfter = (count: number, seat: "worker" | "reviewer"): number =>
      getRoundState(buildRunIndex(events.slice(0, count)), "T-1", 1)?.openDispatches.get(seat) ?? 0;
    expect(openAfter(2, "reviewer")).toBe(1);
    expect(openAfter(3, "reviewer")).toBe(0);
    expect(openAfter(4, "reviewer")).toBe(1);
    expect(openAfter(4, "worker")).toBe(0);
    expect(
      getRoundState(buildRunIndex(events), "T-1", 1)?.completedDispatches.has("reviewer:1"),
    ).toBe(true);
  });

  it("is open between checkpoint.started and checkpoint.created of the same round", () => {
    const events = makeJournal(
      { type: "round.started", ...task, round: 1, head: "a" },
      { type: "checkpoint.started", ...task, round: 1 },
      { type: "checkpoint.created", ...task, round: 1, commit: "c", parent: "a", filesChanged: [] },
      { type: "round.started", ...task, round: 2, head: "c" },
      { type: "checkpoint.started", ...task, round: 2 },
    );
    const isOpen = (count: number, round: number): boolean | undefined =>
      getRoundState(buildRunIndex(events.slice(0, count)), "T-1", round)?.isCheckpointOpen;
    expect(isOpen(2, 1)).toBe(true);
    expect(isOpen(5, 1)).toBe(false);
    expect(isOpen(5, 2)).toBe(true);
  });

  it("keeps a dispatch's reservation open until it ends (a kill -9 leaves it to count as spent)", () => {
    const events = makeJournal(
      { type: "round.started", ...task, round: 1, head: "a" },
      { type: "dispatch.started", ...worker, reservedUsd: 0.5 },
    );
    expect([
      ...(getTaskState(buildRunIndex(events), "T-1")?.openReservations.values() ?? []),
    ]).toEqual([0.5]);
    const ended = makeJournal(...events, completed(1, "worker", "b"));
    expect(getTaskState(buildRunIndex(ended), "T-1")?.openReservations.size).toBe(0);
  });
});

describe("the run index: team events", () => {
  it("tracks the plan, task status, worktrees and merges per task", () => {
    const events = makeJournal(
      { type: "plan.created", taskIds: ["A", "B"], attempt: 1 },
      { type: "task.status", taskId: "A", status: "running" },
      { type: "worktree.created", taskId: "A", dir: "/w/A", branch: "bosun/r/A", base: "b0" },
      { type: "merge.started", taskId: "A", source: "a1", expectedOld: "b0" },
    );
    const index = buildRunIndex(events);
    expect(index.plannedTaskIds).toEqual(["A", "B"]);
    expect(getTaskState(index, "A")?.status).toBe("running");
    expect(getTaskState(index, "B")?.status).toBeUndefined();
    expect(getTaskState(index, "A")?.worktree?.dir).toBe("/w/A");
    expect(getTaskState(index, "A")?.openMerge?.expectedOld).toBe("b0");
    const merged = buildRunIndex(
      makeJournal(...events, {
        type: "merge.completed",
        taskId: "A",
        commit: "m1",
        previous: "b0",
      }),
    );
    expect(getTaskState(merged, "A")?.openMerge).toBeUndefined();
    expect(getTaskState(merged, "A")?.merged?.commit).toBe("m1");
  });
});

describe("the run index: budget stops and provider pauses", () => {
  const OPTIONS = {
    planner: "claude",
    worker: "claude",
    critic: "codex",
    maxParallel: 3,
    maxRepairs: 2,
    verify: "",
    timeoutSec: 0,
    stallTimeoutSec: 300,
    budgetUsd: 1,
    taskBudgetUsd: 0.5,
    isPlanGated: false,
  };
  const stop: RunEventInput = {
    type: "budget.exhausted",
    scope: "run",
    limitUsd: 1,
    spentUsd: 0.8,
  };

  it("keeps a budget stop until options.changed raises the cap that stopped it", () => {
    const stopped = buildRunIndex(makeJournal(stop));
    expect(stopped.budgetExhausted).toMatchObject({ scope: "run", limitUsd: 1 });
    // More parallelism, or more for each task, does not lift a stop of the run's cap.
    const notLifted = buildRunIndex(
      makeJournal(stop, {
        type: "options.changed",
        options: { ...OPTIONS, maxParallel: 6, taskBudgetUsd: 5 },
      }),
    );
    expect(notLifted.budgetExhausted).toMatchObject({ scope: "run", limitUsd: 1 });
    const lifted = buildRunIndex(
      makeJournal(stop, { type: "options.changed", options: { ...OPTIONS, budgetUsd: 3 } }),
    );
    expect(lifted.budgetExhausted).toBeUndefined();
    // A later refusal under the new cap is a new stop.
    const again = buildRunIndex(
      makeJournal(
        stop,
        { type: "options.changed", options: { ...OPTIONS, budgetUsd: 3 } },
        { ...stop, limitUsd: 3, spentUsd: 2.9 },
        { ...stop, limitUsd: 3, spentUsd: 2.95 },
      ),
    );
    expect(again.budgetExhausted).toMatchObject({ limitUsd: 3, spentUsd: 2.9 });
  });

  it("lifts a task cap's stop when the task cap is raised", () => {
    const taskStop: RunEventInput = {
      type: "budget.exhausted",
      scope: "task",
      taskId: "a",
      limitUsd: 0.5,
      spentUsd: 0.45,
    };
    const runRaised = buildRunIndex(
      makeJournal(taskStop, { type: "options.changed", options: { ...OPTIONS, budgetUsd: 9 } }),
    );
    expect(runRaised.budgetExhausted).toMatchObject({ scope: "task" });
    const taskRaised = buildRunIndex(
      makeJournal(taskStop, {
        type: "options.changed",
        options: { ...OPTIONS, taskBudgetUsd: 2 },
      }),
    );
    expect(taskRaised.budgetExhausted).toBeUndefined();
  });

  it("keeps each harness's last pause with the provider's message", () => {
    const index = buildRunIndex(
      makeJournal(
        { type: "harness.paused", harness: "claude", until: "2026-12-01T01:00:00Z", reason: "429" },
        { type: "harness.paused", harness: "codex", until: "2026-12-01T00:30:00Z", reason: "slow" },
        {
          type: "harness.paused",
          harness: "claude",
          until: "2026-12-01T02:00:00Z",
          reason: "429 again",
        },
      ),
    );
    expect(
      [...index.pausedHarnesses.values()].map(({ harness, until, reason }) => ({
        harness,
        until,
        reason,
      })),
    ).toEqual([
      { harness: "claude", until: "2026-12-01T02:00:00Z", reason: "429 again" },
      { harness: "codex", until: "2026-12-01T00:30:00Z", reason: "slow" },
    ]);
  });
});
