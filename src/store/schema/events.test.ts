import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { RunEventSchema } from "./events.js";

function makeEvent(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    seq: 2,
    ts: "2026-11-22T12:00:00.000Z",
    type: "round.started",
    taskId: "T-001",
    round: 1,
    head: "abc",
    ...overrides,
  };
}

describe("RunEventSchema", () => {
  it("accepts a valid event", () => {
    expect(parseWithSchema(makeEvent({}), RunEventSchema, "events.jsonl")).toEqual(makeEvent({}));
  });

  it("rejects an unknown event type, naming the discriminant", () => {
    expect(() =>
      parseWithSchema(makeEvent({ type: "round.exploded" }), RunEventSchema, "events.jsonl"),
    ).toThrow(/^Invalid events\.jsonl: type: /);
  });

  it("rejects round 0 and seq 0, naming each field", () => {
    expect(() => parseWithSchema(makeEvent({ round: 0 }), RunEventSchema, "e")).toThrow(/round: /);
    expect(() => parseWithSchema(makeEvent({ seq: 0 }), RunEventSchema, "e")).toThrow(/seq: /);
  });

  it("rejects a dispatch.completed with an unknown seat and negative cost", () => {
    const event = makeEvent({
      type: "dispatch.completed",
      seat: "juggler",
      harness: "claude",
      attempt: 1,
      exitCode: 0,
      costUsd: -1,
      isCostEstimated: false,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      durationMs: 1,
      spawns: 1,
    });
    expect(() => parseWithSchema(event, RunEventSchema, "e")).toThrow(/seat: .*; costUsd: /);
  });

  it("requires the task on every round-scoped event", () => {
    const { taskId: _taskId, ...withoutTask } = makeEvent({});
    expect(() => parseWithSchema(withoutTask, RunEventSchema, "e")).toThrow(/taskId: /);
  });

  it("keeps the open SME role apart from the fixed seat", () => {
    const started = makeEvent({
      type: "dispatch.started",
      seat: "worker",
      role: "security",
      harness: "claude",
      attempt: 1,
    });
    expect(parseWithSchema(started, RunEventSchema, "e")).toMatchObject({
      seat: "worker",
      role: "security",
    });
  });

  it("takes run.created as a union over flows, each with its own options", () => {
    const team = {
      seq: 1,
      ts: "t",
      type: "run.created",
      version: 2,
      flow: "team",
      title: "g",
      baseCommit: "c0",
      integrationBranch: "bosun/r1",
      options: {
        planner: "claude",
        worker: "claude",
        critic: "codex",
        maxParallel: 3,
        maxRepairs: 2,
        verify: "npm test",
        timeoutSec: 0,
        stallTimeoutSec: 300,
        isPlanGated: false,
      },
    };
    expect(parseWithSchema(team, RunEventSchema, "e")).toEqual(team);
    // Review options under flow team are refused.
    expect(() =>
      parseWithSchema(
        {
          ...team,
          options: { worker: "a", reviewer: "b", maxRounds: 1, verify: "", timeoutSec: 0 },
        },
        RunEventSchema,
        "e",
      ),
    ).toThrow(/options/);
  });

  it("rejects a round.completed verdict outside accept|fix|escalate", () => {
    expect(() =>
      parseWithSchema(
        makeEvent({ type: "round.completed", verdict: "shrug", fixItems: 0 }),
        RunEventSchema,
        "e",
      ),
    ).toThrow(/verdict: /);
  });
});
