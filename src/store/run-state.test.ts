import { describe, expect, it } from "vitest";
import { StateError } from "../errors.js";
import { applyRunEvent, reduceRunEvents } from "./run-state.js";
import type { RunEvent, RunEventInput } from "./schema/events.js";

const RUN_ID = "20261122-120000-ab12";

/** Numbers inputs into events with seq and a fixed clock. */
function makeEvents(...inputs: RunEventInput[]): RunEvent[] {
  return inputs.map((input, index) => ({
    ...input,
    seq: index + 1,
    ts: `2026-11-22T12:00:${String(index).padStart(2, "0")}.000Z`,
  }));
}

function makeCreated(maxRounds = 2): RunEventInput {
  return {
    type: "run.created",
    version: 2,
    flow: "review",
    taskId: "T-001",
    title: "Add sum()",
    baseCommit: "base000",
    options: { worker: "claude", reviewer: "codex", maxRounds, verify: "npm test", timeoutSec: 60 },
  };
}

function makeDispatchCompleted(costUsd: number, tokens: [number, number, number]): RunEventInput {
  return {
    type: "dispatch.completed",
    taskId: "T-001",
    round: 1,
    seat: "worker",
    harness: "claude",
    attempt: 1,
    exitCode: 0,
    costUsd,
    isCostEstimated: false,
    tokens: { inputTokens: tokens[0], cachedInputTokens: tokens[1], outputTokens: tokens[2] },
    durationMs: 10,
    spawns: 1,
  };
}

describe("reduceRunEvents", () => {
  it("marks a run paused on run.paused and running again on run.resumed; follows HEAD moves", () => {
    const events = makeEvents(
      makeCreated(),
      { type: "round.started", taskId: "T-001", round: 1, head: "base000" },
      {
        type: "head.moved",
        taskId: "T-001",
        round: 1,
        from: "base000",
        to: "user111",
        commits: [],
        count: 0,
        stage: "worker",
      },
      {
        type: "dispatch.started",
        taskId: "T-001",
        round: 1,
        seat: "worker",
        harness: "claude",
        attempt: 1,
      },
      {
        type: "dispatch.cancelled",
        taskId: "T-001",
        round: 1,
        seat: "worker",
        harness: "claude",
        attempt: 1,
        head: "user111",
      },
      { type: "run.paused", reason: "stopped by Ctrl-C or a signal" },
    );
    expect(reduceRunEvents(events, RUN_ID)).toMatchObject({
      status: "paused",
      reason: "stopped by Ctrl-C or a signal",
      step: "worker.cancelled",
      headCommit: "user111",
    });
    const resumed = [...events, ...makeEvents({ type: "run.resumed", pid: 1 })].map(
      (event, index) => ({ ...event, seq: index + 1 }),
    );
    expect(reduceRunEvents(resumed, RUN_ID).status).toBe("running");
  });

  it("builds the initial snapshot from run.created", () => {
    expect(reduceRunEvents(makeEvents(makeCreated()), RUN_ID)).toMatchInlineSnapshot(`
      {
        "baseCommit": "base000",
        "costUsd": 0,
        "createdAt": "2026-11-22T12:00:00.000Z",
        "eventCount": 1,
        "flow": "review",
        "headCommit": "base000",
        "id": "20261122-120000-ab12",
        "openAskIds": [],
        "options": {
          "maxRounds": 2,
          "reviewer": "codex",
          "timeoutSec": 60,
          "verify": "npm test",
          "worker": "claude",
        },
        "round": 0,
        "status": "running",
        "step": "created",
        "taskId": "T-001",
        "title": "Add sum()",
        "tokens": {
          "cachedInputTokens": 0,
          "inputTokens": 0,
          "outputTokens": 0,
        },
        "updatedAt": "2026-11-22T12:00:00.000Z",
        "version": 2,
      }
    `);
  });

  it("accumulates cost (rounded to micro-dollars) and tokens across dispatches", () => {
    const run = reduceRunEvents(
      makeEvents(
        makeCreated(),
        makeDispatchCompleted(0.1, [100, 40, 10]),
        makeDispatchCompleted(0.2, [200, 50, 20]),
      ),
      RUN_ID,
    );
    expect(run.costUsd).toBe(0.3);
    expect(run.tokens).toEqual({ inputTokens: 300, cachedInputTokens: 90, outputTokens: 30 });
    expect(run.step).toBe("worker.completed");
    expect(run.eventCount).toBe(3);
  });

  it("tracks round, head commit and the open ask, and ask.answered raises maxRounds", () => {
    const events = makeEvents(
      makeCreated(2),
      { type: "round.started", taskId: "T-001", round: 1, head: "base000" },
      {
        type: "checkpoint.created",
        taskId: "T-001",
        round: 1,
        commit: "c1",
        parent: "base000",
        filesChanged: ["a.js"],
      },
      {
        type: "round.completed",
        taskId: "T-001",
        round: 1,
        verdict: "escalate",
        fixItems: 1,
        reason: "stuck",
      },
      { type: "ask.created", askId: "ask-1", question: "stuck" },
      { type: "run.completed", status: "needs_human", reason: "stuck" },
    );
    const waiting = reduceRunEvents(events, RUN_ID);
    expect(waiting).toMatchObject({
      status: "needs_human",
      round: 1,
      headCommit: "c1",
      openAskIds: ["ask-1"],
      reason: "stuck",
    });

    const resumed = applyRunEvent(
      waiting,
      { ...makeEvents({ type: "run.resumed", pid: 1 })[0]!, seq: 7 },
      RUN_ID,
    );
    expect(resumed.status).toBe("needs_human");

    const answered = applyRunEvent(
      resumed,
      { type: "ask.answered", askId: "ask-1", answer: "more", extraRounds: 2, seq: 8, ts: "t" },
      RUN_ID,
    );
    expect(answered.flow === "review" && answered.options.maxRounds).toBe(4);
    expect(answered.status).toBe("running");
    expect(answered.openAskIds).toEqual([]);
  });

  it("options.changed replaces the run's options", () => {
    const created = reduceRunEvents(makeEvents(makeCreated(2)), RUN_ID);
    const options = { ...created.options, timeoutSec: 99, worker: "codex" };
    const changed = applyRunEvent(
      created,
      { type: "options.changed", options, seq: 2, ts: "t" },
      RUN_ID,
    );
    expect(changed.options).toEqual(options);
  });

  it("keeps maxRounds when the answer grants no extra rounds", () => {
    const run = reduceRunEvents(
      makeEvents(
        makeCreated(3),
        { type: "ask.created", askId: "a", question: "q" },
        { type: "ask.answered", askId: "a", answer: "accept" },
      ),
      RUN_ID,
    );
    expect(run.flow === "review" && run.options.maxRounds).toBe(3);
  });

  it("records a terminal status and its reason", () => {
    const run = reduceRunEvents(
      makeEvents(makeCreated(), { type: "run.completed", status: "succeeded", reason: "approved" }),
      RUN_ID,
    );
    expect(run).toMatchObject({ status: "succeeded", reason: "approved", step: "run.completed" });
  });

  it("refuses a history that does not start with run.created, or has two", () => {
    expect(() => reduceRunEvents(makeEvents({ type: "run.resumed", pid: 1 }), RUN_ID)).toThrow(
      StateError,
    );
    expect(() => reduceRunEvents(makeEvents({ type: "run.resumed", pid: 1 }), RUN_ID)).toThrow(
      /must start with run\.created, not run\.resumed/,
    );
    expect(() => reduceRunEvents(makeEvents(makeCreated(), makeCreated()), RUN_ID)).toThrow(
      /a second run\.created at seq 2/,
    );
    expect(() => reduceRunEvents([], RUN_ID)).toThrow(/has no events/);
  });
});

describe("a team run's snapshot", () => {
  it("takes the options a resume changed, and keeps them through later events", () => {
    const options = {
      planner: "claude",
      worker: "claude",
      critic: "codex",
      maxParallel: 3,
      maxRepairs: 2,
      verify: "",
      timeoutSec: 0,
      stallTimeoutSec: 300,
      budgetUsd: 1,
      isPlanGated: false,
    };
    const changed = { ...options, maxParallel: 6, budgetUsd: 20 };
    const run = reduceRunEvents(
      makeEvents(
        {
          type: "run.created",
          version: 2,
          flow: "team",
          title: "Team",
          baseCommit: "base000",
          integrationBranch: `bosun/${RUN_ID}/integration`,
          options,
        },
        { type: "run.completed", status: "budget_exhausted", reason: "the budget stopped it" },
        { type: "run.resumed", pid: 1 },
        { type: "options.changed", options: changed },
        { type: "run.paused", reason: "stopped" },
        { type: "run.resumed", pid: 2 },
      ),
      RUN_ID,
    );
    expect(run).toMatchObject({ flow: "team", status: "running", options: changed });
  });
});

describe("a pipeline run's snapshot", () => {
  it("names its task, depth and parent, the stage in progress, its follow-up and its options", () => {
    const options = {
      pairs: ["plan", "implement"] as ["plan", "implement"],
      maxIterations: 3,
      phaseMode: "multi" as const,
      producer: "claude",
      verifier: "codex",
      verify: "npm test",
      isFullAutoAnswers: false,
      isGitDisabled: false,
      isFollowupEnabled: true,
      followupDepth: 3,
      timeoutSec: 0,
    };
    const run = reduceRunEvents(
      makeEvents(
        {
          type: "run.created",
          version: 2,
          flow: "pipeline",
          taskId: "greet",
          title: "Greet",
          baseCommit: "base000",
          depth: 1,
          parentRunId: "20261122-110000-aaaa",
          options,
        },
        { type: "round.started", taskId: "greet", phase: "implement/p1", round: 2, head: "h1" },
        {
          type: "checkpoint.created",
          taskId: "greet",
          phase: "implement/p1",
          round: 2,
          commit: "h2",
          parent: "h1",
          filesChanged: ["a.js"],
        },
        {
          type: "verdict.recorded",
          taskId: "greet",
          phase: "implement/p1",
          round: 2,
          verdict: "complete",
          missing: 0,
          detail: "ok",
        },
        { type: "options.changed", options: { ...options, maxIterations: 5 } },
        { type: "followup.started", childRunId: "20261122-130000-bbbb", gaps: 2 },
      ),
      RUN_ID,
    );
    expect(run).toMatchObject({
      flow: "pipeline",
      taskId: "greet",
      depth: 1,
      parentRunId: "20261122-110000-aaaa",
      phase: "implement/p1",
      round: 2,
      headCommit: "h2",
      followupRunId: "20261122-130000-bbbb",
      step: "followup.started",
      options: { maxIterations: 5 },
    });
  });
});
