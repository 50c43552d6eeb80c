import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { existsSync } from "node:fs";
import { mkdir, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { RunStore } from "../store/run-store.js";
import { buildRunIndex, getTaskState } from "../store/run-index.js";
import { reduceRunEvents } from "../store/run-state.js";
import { acquireTreeLock } from "../store/tree-lock.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import type { RunEvent, RunEventInput } from "../store/schema/events.js";
import { getNextStep, resumeReview, startReview } from "./review.js";

/** Builds a journal: numbers the inputs and gives them a fixed clock. */
function makeJournal(...inputs: RunEventInput[]): RunEvent[] {
  return inputs.map((input, index) => ({
    ...input,
    seq: index + 1,
    ts: "2026-11-22T12:00:00.000Z",
  }));
}

function makeCreated(maxRounds: number): RunEventInput {
  return {
    type: "run.created",
    version: 2,
    flow: "review",
    taskId: "T-001",
    title: "t",
    baseCommit: "c0",
    options: { worker: "offline", reviewer: "offline", maxRounds, verify: "", timeoutSec: 0 },
  };
}

/** A whole round: started, then completed with a verdict. */
function makeRound(
  round: number,
  verdict: "accept" | "fix" | "escalate",
  reason?: string,
): RunEventInput[] {
  return [
    { type: "round.started", taskId: "T-001", round, head: `c${round - 1}` },
    {
      type: "round.completed",
      taskId: "T-001",
      round,
      verdict,
      fixItems: verdict === "accept" ? 0 : 1,
      ...(reason === undefined ? {} : { reason }),
    },
  ];
}

function makeAsk(answer: "more" | "accept" | "abort", extraRounds?: number): RunEventInput[] {
  return [
    { type: "ask.created", askId: "ask-1", taskId: "T-001", question: "q" },
    { type: "run.completed", status: "needs_human", reason: "q" },
    {
      type: "ask.answered",
      askId: "ask-1",
      taskId: "T-001",
      answer,
      ...(extraRounds === undefined ? {} : { extraRounds }),
    },
  ];
}

/** getNextStep over a journal's index, with maxRounds from the snapshot of the same journal. */
function nextStepOf(...inputs: RunEventInput[]): ReturnType<typeof getNextStep> {
  const events = makeJournal(...inputs);
  const run = reduceRunEvents(events, "r1");
  if (run.flow !== "review") throw new Error("not a review");
  return getNextStep(getTaskState(buildRunIndex(events), "T-001"), run.options.maxRounds);
}

describe("getNextStep", () => {
  it("starts with round 1", () => {
    expect(nextStepOf(makeCreated(3))).toEqual({ type: "round", round: 1 });
  });

  it("resumes an unfinished round instead of starting the next one", () => {
    expect(
      nextStepOf(makeCreated(3), { type: "round.started", taskId: "T-001", round: 1, head: "c0" }),
    ).toEqual({
      type: "round",
      round: 1,
    });
    expect(
      nextStepOf(
        makeCreated(3),
        ...makeRound(1, "fix"),
        { type: "round.started", taskId: "T-001", round: 2, head: "c1" },
        {
          type: "dispatch.started",
          taskId: "T-001",
          round: 2,
          seat: "worker",
          harness: "offline",
          attempt: 1,
        },
      ),
    ).toEqual({ type: "round", round: 2 });
  });

  it("completes as succeeded when the last round was accepted", () => {
    expect(nextStepOf(makeCreated(3), ...makeRound(1, "fix"), ...makeRound(2, "accept"))).toEqual({
      type: "complete",
      status: "succeeded",
      reason: "approved by the reviewer in round 2",
    });
  });

  it("starts the next round after a fix verdict under maxRounds", () => {
    expect(nextStepOf(makeCreated(3), ...makeRound(1, "fix"), ...makeRound(2, "fix"))).toEqual({
      type: "round",
      round: 3,
    });
  });

  it("escalates after a fix verdict at maxRounds", () => {
    expect(nextStepOf(makeCreated(2), ...makeRound(1, "fix"), ...makeRound(2, "fix"))).toEqual({
      type: "escalate",
      round: 2,
      reason: "2 round(s) ran without approval (max rounds 2)",
    });
  });

  it("escalates a round that escalated itself, with its reason, until a human answers", () => {
    expect(
      nextStepOf(makeCreated(3), ...makeRound(1, "escalate", "The reviewer gave no valid report")),
    ).toEqual({
      type: "escalate",
      round: 1,
      reason: "The reviewer gave no valid report",
    });
    expect(
      nextStepOf(makeCreated(3), ...makeRound(1, "escalate", "stuck"), ...makeAsk("more")),
    ).toEqual({ type: "round", round: 2 });
  });

  it("runs another round once 'more' was answered and maxRounds raised", () => {
    const journal = [
      makeCreated(2),
      ...makeRound(1, "fix"),
      ...makeRound(2, "fix"),
      ...makeAsk("more", 2),
    ];
    expect(nextStepOf(...journal)).toEqual({ type: "round", round: 3 });
    // And escalates again when the granted rounds are spent.
    expect(nextStepOf(...journal, ...makeRound(3, "fix"), ...makeRound(4, "fix"))).toEqual({
      type: "escalate",
      round: 4,
      reason: "4 round(s) ran without approval (max rounds 4)",
    });
  });

  it("ends the run on an answered accept or abort even when bosun died before recording the end", () => {
    const journal = [makeCreated(1), ...makeRound(1, "escalate", "reviewer gave no report")];
    expect(nextStepOf(...journal, ...makeAsk("abort"))).toEqual({
      type: "complete",
      status: "cancelled",
      reason: "stopped by a human",
    });
    expect(nextStepOf(...journal, ...makeAsk("accept"))).toEqual({
      type: "complete",
      status: "succeeded",
      reason: "accepted by a human",
    });
  });

  it("an answer given before the last escalation does not count for it", () => {
    const journal = [
      makeCreated(3),
      ...makeRound(1, "escalate", "first"),
      ...makeAsk("more"),
      ...makeRound(2, "escalate", "second"),
    ];
    expect(nextStepOf(...journal)).toEqual({ type: "escalate", round: 2, reason: "second" });
  });
});

/** One-round options with the offline agent, for runs that never get past their start. */
const ONE_ROUND = {
  worker: "offline",
  reviewer: "offline",
  maxRounds: 1,
  verify: "",
  timeoutSec: 5,
};

/** Starts a second review (task T-2) in `paths`' repository. */
function startSecondReview(paths: BosunPaths): ReturnType<typeof startReview> {
  return startReview({
    paths,
    config: DEFAULT_CONFIG,
    onEvent: () => undefined,
    task: {
      task_id: "T-2",
      goal: "b",
      in_scope: [],
      out_of_scope: [],
      acceptance_criteria: [],
      constraints: [],
    },
    request: "b\n",
    reviewOptions: ONE_ROUND,
    isDirtyAllowed: true,
  });
}

describe("one live run per working tree", () => {
  it("refuses to start while another process holds the working tree's lock, before its run exists", async () => {
    const root = await makeTestDir();
    const paths = createBosunPaths(root);
    const held = await acquireTreeLock(paths, root);
    try {
      await expect(startSecondReview(paths)).rejects.toThrow(
        // Whoever holds it, the message names the process, the tree and the lock file.
        `Process ${process.pid} is still working in ${await realpath(root)}; two runs in one working tree would mix their changes. Wait for it or stop it first (lock: ${held.file}).`,
      );
      expect(existsSync(paths.runsDir)).toBe(false);
    } finally {
      await held.release();
    }
  });

  it("refuses to start or resume a review while another run in the same tree is live", async () => {
    // No git repository is needed: the check comes before any git command.
    const root = await makeTestDir();
    const paths = createBosunPaths(root);
    // What a live run holds: its tree's lock, then its own.
    const tree = await acquireTreeLock(paths, root, { runId: "20260101-000000-aaaa" });
    const live = await RunStore.create(
      paths,
      "a\n",
      {
        type: "run.created",
        version: 2,
        flow: "review",
        taskId: "T-1",
        title: "a",
        baseCommit: "c0",
        options: ONE_ROUND,
      },
      { createId: () => "20260101-000000-aaaa" },
    );
    try {
      const common = { paths, config: DEFAULT_CONFIG, onEvent: () => undefined };
      await expect(startSecondReview(paths)).rejects.toThrow(
        `Run 20260101-000000-aaaa (process ${process.pid}) is still working in ${await realpath(root)}`,
      );
      await expect(resumeReview({ ...common, runId: "20260101-000000-bbbb" })).rejects.toThrow(
        "Run 20260101-000000-aaaa (process",
      );
    } finally {
      await live.close();
      await tree.release();
    }
  });

  it("starts a review in another working tree of the repository while a run is live in the first", async () => {
    const dir = await makeTestDir();
    const main = path.join(dir, "main");
    const other = path.join(dir, "other");
    await mkdir(main);
    await mkdir(other);
    const paths = createBosunPaths(main);
    const tree = await acquireTreeLock(paths, main, { runId: "20260101-000000-aaaa" });
    try {
      // Past the lock, the start fails for want of a git repository in the other tree.
      const error: unknown = await startSecondReview(createBosunPaths(other, main)).catch(
        (caught: unknown) => caught,
      );
      expect(String(error)).toMatch(/git/);
      expect(String(error)).not.toContain("still working");
      // ...and it let go of that tree's lock.
      expect(await readdir(paths.locksDir)).toEqual([path.basename(tree.file)]);
    } finally {
      await tree.release();
    }
  });

  it("leaves no tree lock behind when checking the other runs fails", async () => {
    const root = await makeTestDir();
    const paths = createBosunPaths(root);
    // Another run's lock that cannot be read (a directory): checking for abandoned runs throws.
    await mkdir(paths.lockFile("20260101-000000-aaaa"), { recursive: true });
    const start = startSecondReview(paths);
    await expect(start).rejects.toThrow();
    expect(await readdir(paths.locksDir)).toEqual([]);
  });
});
