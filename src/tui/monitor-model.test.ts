import { describe, expect, it, vi } from "vitest";
import {
  REVIEW_CREATED,
  TEAM_CREATED,
  TEST_RUN_ID,
  makeEvents,
  makeWorkerStarted,
} from "../../test/helpers/tui-events.js";
import type { RunEventInput } from "../store/schema/events.js";
import type { PlanTask } from "../store/schema/plan.js";
import {
  applyJournalEvent,
  applyLiveEvent,
  appendTail,
  countTasksByStatus,
  createMonitorModel,
  formatAgentOutput,
  selectAgent,
  setPlanTasks,
  TAIL_LINES_MAX,
  type MonitorModel,
} from "./monitor-model.js";

// The event lines are the printer's, whose colours follow CI (read when it loads): plain here.
vi.hoisted(() => {
  Reflect.deleteProperty(process.env, "CI");
});

function makeModel(inputs: readonly RunEventInput[], atMs?: number): MonitorModel {
  const model = createMonitorModel(TEST_RUN_ID);
  for (const event of makeEvents(inputs, atMs)) applyJournalEvent(model, event);
  return model;
}

function makePlanTask(id: string): PlanTask {
  return {
    id,
    title: `Task ${id}`,
    description: "d",
    role: "backend",
    depends_on: [],
    acceptance_criteria: ["works"],
    scope: ["**"],
    priority: 3,
  };
}

describe("the monitor's model", () => {
  it("counts a team run's tasks by their last status, planned ones without one as pending", () => {
    const model = makeModel([
      TEAM_CREATED,
      { type: "task.status", taskId: "a", status: "running" },
      { type: "task.status", taskId: "b", status: "running" },
      { type: "task.status", taskId: "a", status: "accepted" },
      { type: "task.status", taskId: "a", status: "merged" },
    ]);
    setPlanTasks(model, ["a", "b", "c", "d"].map(makePlanTask));
    const counts = countTasksByStatus(model);
    expect(counts).toMatchObject({ merged: 1, running: 1, pending: 2, accepted: 0 });
  });

  it("shows a dispatch bosun's stall watch killed as stalled, any other failure as failed", () => {
    const failed = (taskId: string, stall?: "silent"): RunEventInput => ({
      type: "dispatch.failed",
      taskId,
      round: 1,
      seat: "worker",
      harness: "offline",
      attempt: 1,
      message: stall === undefined ? "offline exited with code 1" : "offline stalled: no output",
      isPermanent: false,
      ...(stall === undefined ? {} : { stall }),
    });
    const model = makeModel([
      TEAM_CREATED,
      makeWorkerStarted("a"),
      makeWorkerStarted("b"),
      failed("a", "silent"),
      failed("b"),
    ]);
    expect(model.agents.map((lane) => [lane.key, lane.state])).toEqual([
      ["a:worker", "stalled"],
      ["b:worker", "failed"],
    ]);
  });

  it("keeps one lane per task seat: working, then done with its cost, and follows the newest until one is picked", () => {
    const model = makeModel([TEAM_CREATED, makeWorkerStarted("a"), makeWorkerStarted("b")], 1_000);
    expect(model.agents.map((lane) => [lane.key, lane.state])).toEqual([
      ["a:worker", "working"],
      ["b:worker", "working"],
    ]);
    expect(model.selectedAgentKey).toBe("b:worker");
    selectAgent(model, "a:worker");
    applyJournalEvent(model, {
      ...makeEvents([makeWorkerStarted("c")])[0]!,
      seq: 4,
    });
    expect(model.selectedAgentKey).toBe("a:worker");
    applyJournalEvent(model, {
      seq: 5,
      ts: new Date(5_000).toISOString(),
      type: "dispatch.completed",
      taskId: "a",
      round: 1,
      seat: "worker",
      harness: "offline",
      attempt: 1,
      exitCode: 0,
      costUsd: 0.25,
      isCostEstimated: false,
      tokens: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
      durationMs: 1,
      spawns: 1,
    });
    expect(model.agentsByKey.get("a:worker")).toMatchObject({
      state: "done",
      costUsd: 0.25,
      lastActivityMs: 5_000,
    });
  });

  it("holds the run's open asks until they are answered", () => {
    const model = makeModel([
      REVIEW_CREATED,
      { type: "ask.created", askId: "ask-1", taskId: "T-001", question: "More?" },
      { type: "ask.created", askId: "ask-2", question: "Really?" },
      { type: "ask.answered", askId: "ask-1", taskId: "T-001", answer: "more" },
    ]);
    expect([...model.asks.keys()]).toEqual(["ask-2"]);
    expect(model.timeline.at(-1)).toContain("! answer ask-1: more");
  });

  it("takes live agent output as activity, not as a second copy of journaled events", () => {
    const model = makeModel([REVIEW_CREATED, makeWorkerStarted("T-001")], 1_000);
    const before = model.timeline.length;
    applyLiveEvent(model, {
      type: "agent.output",
      runId: TEST_RUN_ID,
      taskId: "T-001",
      round: 1,
      seat: "worker",
      event: { type: "text", text: "hello" },
    });
    applyLiveEvent(model, { ...makeEvents([makeWorkerStarted("T-001")])[0]!, runId: TEST_RUN_ID });
    expect(model.agentsByKey.get("T-001:worker")?.lastActivityMs).toBeGreaterThan(1_000);
    expect(model.timeline).toHaveLength(before);
  });

  it("keeps only the tail's last lines", () => {
    const model = makeModel([REVIEW_CREATED]);
    appendTail(
      model,
      Array.from({ length: TAIL_LINES_MAX + 5 }, (_, index) => `line ${index}`),
    );
    expect(model.tail).toHaveLength(TAIL_LINES_MAX);
    expect(model.tail[0]).toBe("line 5");
  });

  it("turns an agent's events into tail lines, skipping bookkeeping", () => {
    expect(formatAgentOutput({ type: "tool.use", tool: "Bash", summary: "npm test" })).toBe(
      "▸ Bash npm test",
    );
    expect(formatAgentOutput({ type: "text", text: "  two\nlines " })).toBe("two lines");
    expect(formatAgentOutput({ type: "session", sessionId: "s" })).toBeUndefined();
  });
});
