import { describe, expect, it } from "vitest";
import type { RunEvent, RunEventInput } from "../store/schema/events.js";
import { getKnownHead, getRoundBase, hasOpenCheckpoint, hasOpenDispatch } from "./round-head.js";

function makeJournal(...inputs: RunEventInput[]): RunEvent[] {
  return inputs.map((input, index) => ({ ...input, seq: index + 1, ts: "2026-12-01T00:00:00Z" }));
}

const TOKENS = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
const worker = { round: 1, role: "worker", harness: "offline", attempt: 1 } as const;

function completed(round: number, role: "worker" | "reviewer", head: string): RunEventInput {
  return {
    type: "dispatch.completed",
    round,
    role,
    harness: "offline",
    attempt: 1,
    exitCode: 0,
    costUsd: 0,
    isCostEstimated: false,
    tokens: TOKENS,
    durationMs: 1,
    spawns: 1,
    head,
  };
}

describe("getKnownHead", () => {
  it("follows the round's start, worker ends, moves and checkpoint, and ignores reviewers and other rounds", () => {
    const events = makeJournal(
      { type: "round.started", round: 1, head: "a" },
      { type: "dispatch.started", ...worker },
      completed(1, "worker", "b"),
      { type: "checkpoint.created", round: 1, commit: "c", parent: "a", filesChanged: [] },
      completed(1, "reviewer", "r"),
      { type: "round.started", round: 2, head: "c" },
    );
    expect(getKnownHead(events.slice(0, 1), 1)).toBe("a");
    expect(getKnownHead(events.slice(0, 3), 1)).toBe("b");
    expect(getKnownHead(events, 1)).toBe("c");
    expect(getKnownHead(events, 2)).toBe("c");
    expect(getKnownHead(events, 3)).toBeUndefined();
  });

  it("takes the head a failed or cancelled worker left, and a later move", () => {
    const events = makeJournal(
      { type: "round.started", round: 1, head: "a" },
      { type: "dispatch.started", ...worker },
      { type: "dispatch.failed", ...worker, message: "x", isPermanent: false, head: "b" },
      {
        type: "head.moved",
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
    expect(getKnownHead(events.slice(0, 3), 1)).toBe("b");
    expect(getKnownHead(events.slice(0, 4), 1)).toBe("u");
    expect(getKnownHead(events, 1)).toBe("w");
  });
});

describe("getRoundBase", () => {
  it("is the round's start, or where HEAD moved before the checkpoint; a move at the gates keeps it", () => {
    const events = makeJournal(
      { type: "round.started", round: 1, head: "a" },
      { type: "head.moved", round: 1, from: "a", to: "u", commits: [], count: 1, stage: "worker" },
      { type: "checkpoint.created", round: 1, commit: "c", parent: "u", filesChanged: [] },
      { type: "head.moved", round: 1, from: "c", to: "v", commits: [], count: 1, stage: "gates" },
    );
    expect(getRoundBase(events.slice(0, 1), 1)).toBe("a");
    expect(getRoundBase(events, 1)).toBe("u");
  });
});

describe("hasOpenDispatch", () => {
  it("is true only between a dispatch's start and its end", () => {
    const reviewer = { round: 1, role: "reviewer", harness: "offline", attempt: 1 } as const;
    const events = makeJournal(
      { type: "dispatch.started", ...reviewer },
      completed(1, "reviewer", "c"),
      { type: "dispatch.started", ...reviewer, attempt: 2 },
    );
    expect(hasOpenDispatch(events.slice(0, 1), 1, "reviewer")).toBe(true);
    expect(hasOpenDispatch(events.slice(0, 2), 1, "reviewer")).toBe(false);
    expect(hasOpenDispatch(events, 1, "reviewer")).toBe(true);
    expect(hasOpenDispatch(events, 1, "worker")).toBe(false);
    expect(hasOpenDispatch(events, 2, "reviewer")).toBe(false);
  });
});

describe("hasOpenCheckpoint", () => {
  it("is true between checkpoint.started and checkpoint.created of the same round", () => {
    const events = makeJournal(
      { type: "checkpoint.started", round: 1 },
      { type: "checkpoint.created", round: 1, commit: "c", parent: "a", filesChanged: [] },
      { type: "checkpoint.started", round: 2 },
    );
    expect(hasOpenCheckpoint(events.slice(0, 1), 1)).toBe(true);
    expect(hasOpenCheckpoint(events, 1)).toBe(false);
    expect(hasOpenCheckpoint(events, 2)).toBe(true);
    expect(hasOpenCheckpoint(events, 3)).toBe(false);
  });
});
