import { describe, expect, it } from "vitest";
import type { RunEvent } from "../src/store/schema/events.js";
import { listIterationTimings } from "./pipeline.js";

const T0 = Date.parse("2026-12-03T08:00:00.000Z");

function at(ms: number): string {
  return new Date(T0 + ms).toISOString();
}

let seq = 0;

/** The events of one round: started at `startMs`, one dispatch per agent time, completed at `endMs`. */
function makeRound(
  phase: string | undefined,
  round: number,
  startMs: number,
  endMs: number,
  agentMs: readonly number[],
): RunEvent[] {
  const scope = { taskId: "T-1", round, ...(phase === undefined ? {} : { phase }) };
  const events: RunEvent[] = [
    { seq: (seq += 1), ts: at(startMs), type: "round.started", ...scope, head: "" },
  ];
  for (const [index, durationMs] of agentMs.entries())
    events.push({
      seq: (seq += 1),
      ts: at(startMs + 10),
      type: "dispatch.completed",
      ...scope,
      seat: index === 0 ? "worker" : "verifier",
      harness: "offline",
      attempt: 1,
      exitCode: 0,
      costUsd: 0,
      isCostEstimated: false,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      durationMs,
      spawns: 1,
    });
  events.push({
    seq: (seq += 1),
    ts: at(endMs),
    type: "round.completed",
    ...scope,
    verdict: "accept",
    fixItems: 0,
  });
  return events;
}

describe("listIterationTimings", () => {
  it("takes each round's agent time out of its wall time, keeping rounds of different phases apart", () => {
    // Every pair of a pipeline starts at round 1: plan's round 1 and implement/p1's round 1 differ.
    const events = [
      ...makeRound("plan", 1, 0, 1000, [300, 200]),
      ...makeRound("implement/p1", 1, 1050, 2500, [600, 400]),
    ];
    expect(listIterationTimings(events)).toEqual([
      { scope: "plan#1", wallMs: 1000, agentMs: 500, overheadMs: 500 },
      { scope: "implement/p1#1", wallMs: 1450, agentMs: 1000, overheadMs: 450, gapBeforeMs: 50 },
    ]);
  });

  it("reads a review's rounds, which have no phase, by their task", () => {
    const events = [...makeRound(undefined, 1, 0, 900, [250, 250])];
    expect(listIterationTimings(events)).toEqual([
      { scope: "T-1#1", wallMs: 900, agentMs: 500, overheadMs: 400 },
    ]);
  });

  it("leaves out a round that never completed", () => {
    const events = makeRound("plan", 1, 0, 1000, [300]).slice(0, -1);
    expect(listIterationTimings(events)).toEqual([]);
  });
});
