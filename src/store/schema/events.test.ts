import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { RunEventSchema } from "./events.js";

function makeEvent(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    seq: 2,
    ts: "2026-11-22T12:00:00.000Z",
    type: "round.started",
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

  it("rejects a dispatch.completed with an unknown role and negative cost", () => {
    const event = makeEvent({
      type: "dispatch.completed",
      role: "critic",
      harness: "claude",
      attempt: 1,
      exitCode: 0,
      costUsd: -1,
      isCostEstimated: false,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      durationMs: 1,
      spawns: 1,
    });
    expect(() => parseWithSchema(event, RunEventSchema, "e")).toThrow(/role: .*; costUsd: /);
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
