import { describe, expect, it } from "vitest";
import { buildRunIndex, getTaskState } from "../../store/run-index.js";
import type { RunEvent, RunEventInput } from "../../store/schema/events.js";
import { MAX_MERGE_SEND_BACKS, getTaskNextRound } from "./team-task.js";

function makeJournal(...inputs: RunEventInput[]): RunEvent[] {
  return inputs.map((input, index) => ({ ...input, seq: index + 1, ts: "t" }));
}

const T = { taskId: "a" } as const;

/** A whole round of task a: started, checkpointed, judged. */
function round(n: number, verdict: "accept" | "fix" | "escalate"): RunEventInput[] {
  return [
    { type: "round.started", ...T, round: n, head: `h${n - 1}` },
    {
      type: "checkpoint.created",
      ...T,
      round: n,
      commit: `c${n}`,
      parent: `h${n - 1}`,
      filesChanged: ["a.txt"],
    },
    { type: "round.completed", ...T, round: n, verdict, fixItems: verdict === "accept" ? 0 : 1 },
  ];
}

const conflicted: RunEventInput = { type: "merge.conflicted", ...T, files: ["a.txt"] };
const answer = (key: string, extraRounds?: number): RunEventInput => ({
  type: "ask.answered",
  askId: "ask-1",
  ...T,
  answer: key,
  ...(extraRounds === undefined ? {} : { extraRounds }),
});

function nextOf(...inputs: RunEventInput[]): ReturnType<typeof getTaskNextRound> {
  return getTaskNextRound(getTaskState(buildRunIndex(makeJournal(...inputs)), "a"), 1);
}

describe("getTaskNextRound", () => {
  it("starts at round 1, resumes an open round, and repairs up to the limit before escalating", () => {
    expect(nextOf()).toEqual({ kind: "round", round: 1, maxRounds: 2 });
    expect(nextOf({ type: "round.started", ...T, round: 1, head: "h0" })).toMatchObject({
      kind: "round",
      round: 1,
    });
    expect(nextOf(...round(1, "fix"))).toMatchObject({ kind: "round", round: 2 });
    expect(nextOf(...round(1, "fix"), ...round(2, "fix"))).toMatchObject({
      kind: "escalated",
      round: 2,
    });
  });

  it("hands an accepted round's checkpoint to the merge queue, and takes it back after a conflict", () => {
    expect(nextOf(...round(1, "accept"))).toEqual({ kind: "accepted", commit: "c1", round: 1 });
    // Sent back: another round, with one more allowed for it.
    expect(nextOf(...round(1, "accept"), conflicted)).toEqual({
      kind: "round",
      round: 2,
      maxRounds: 3,
    });
  });

  it("escalates after too many send-backs, and a human's 'more' then grants rounds", () => {
    const sentBack: RunEventInput[] = [];
    for (let n = 1; n <= MAX_MERGE_SEND_BACKS + 1; n += 1)
      sentBack.push(...round(n, "accept"), conflicted);
    expect(nextOf(...sentBack)).toMatchObject({ kind: "escalated" });
    expect(nextOf(...sentBack, answer("more", 2))).toMatchObject({
      kind: "round",
      round: MAX_MERGE_SEND_BACKS + 2,
    });
  });

  it("merges the last work on a human's 'accept'; a conflict after it gets a repair round, not the same merge again", () => {
    const escalated = [...round(1, "fix"), ...round(2, "escalate")];
    expect(nextOf(...escalated)).toMatchObject({ kind: "escalated", round: 2 });
    expect(nextOf(...escalated, answer("accept"))).toEqual({
      kind: "accepted",
      commit: "c2",
      round: 2,
    });
    // The accepted work conflicted: the answer is spent, and the conflict gets a repair round.
    expect(nextOf(...escalated, answer("accept"), conflicted)).toMatchObject({
      kind: "round",
      round: 3,
    });
  });
});
