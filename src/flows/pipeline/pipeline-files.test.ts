import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { createBosunPaths } from "../../store/paths.js";
import type { RunEvent } from "../../store/schema/events.js";
import {
  appendLedgerAnswer,
  appendLedgerQuestion,
  appendPhaseLog,
  formatPhaseLogLine,
  readLedger,
  writeCarriedLedger,
} from "./pipeline-files.js";
import { mkdir } from "node:fs/promises";

async function makePaths(): Promise<ReturnType<typeof createBosunPaths>> {
  const paths = createBosunPaths(await makeTestDir());
  await mkdir(paths.runDir("r1"), { recursive: true });
  await mkdir(paths.runDir("r2"), { recursive: true });
  return paths;
}

describe("the clarification ledger", () => {
  it("records a question and its answer once each, however often a resumed run writes them", async () => {
    const paths = await makePaths();
    const question = {
      askId: "ask-1",
      phase: "implement/p1",
      iteration: 2,
      question: "Sum or product?",
    };
    const answer = {
      askId: "ask-1",
      answer: "the sum",
      note: "as in the docs",
      by: "a human, via cli",
    };
    for (let time = 0; time < 2; time += 1) {
      await appendLedgerQuestion(paths, "r1", question);
      await appendLedgerAnswer(paths, "r1", answer);
    }
    const ledger = await readLedger(paths, "r1");
    expect(ledger.match(/Sum or product\?/g)).toHaveLength(1);
    expect(ledger.match(/the sum/g)).toHaveLength(1);
    expect(ledger).toContain("### implement/p1, iteration 2 (ask-1)");
    expect(ledger).toContain("**Answer** (a human, via cli): the sum");
    expect(ledger).toContain("**Note:** as in the docs");
  });

  it("carries a task's earlier ledger into its next run, and nothing when there is none", async () => {
    const paths = await makePaths();
    await writeCarriedLedger(paths, "r2", "r1");
    expect(await readLedger(paths, "r2")).toBe("");
    await appendLedgerQuestion(paths, "r1", {
      askId: "a",
      phase: "plan",
      iteration: 1,
      question: "Q?",
    });
    await writeCarriedLedger(paths, "r2", "r1");
    const carried = await readLedger(paths, "r2");
    expect(carried).toContain("carried over from run r1");
    expect(carried).toContain("**Question:** Q?");
  });
});

describe("the phase log", () => {
  const at = { seq: 2, ts: "2026-12-03T08:00:01.000Z" };

  it("tells an iteration as a story: stage, agents, checkpoint, gates, verdict", async () => {
    const paths = await makePaths();
    const events: RunEvent[] = [
      {
        ...at,
        type: "round.started",
        taskId: "t",
        phase: "test/p1",
        round: 2,
        head: "a".repeat(40),
      },
      {
        ...at,
        type: "checkpoint.created",
        taskId: "t",
        phase: "test/p1",
        round: 2,
        commit: "b".repeat(40),
        parent: "a".repeat(40),
        filesChanged: ["x.test.js"],
      },
      {
        ...at,
        type: "gate.completed",
        taskId: "t",
        phase: "test/p1",
        round: 2,
        name: "verify",
        passed: false,
        detail: "exit 1",
      },
      {
        ...at,
        type: "verdict.recorded",
        taskId: "t",
        phase: "test/p1",
        round: 2,
        verdict: "continue",
        missing: 1,
        detail: "edge cases",
      },
      { ...at, type: "task.status", taskId: "t", status: "running" },
    ];
    for (const event of events) await appendPhaseLog(paths, "r1", event);
    const story = await readFile(paths.rawPhaseLogFile("r1"), "utf8");
    expect(story).toContain("## test/p1 · iteration 2");
    expect(story).toContain("checkpoint bbbbbbbbbbbb: 1 file(s) changed (x.test.js)");
    expect(story).toContain("gate verify: FAILED — exit 1");
    expect(story).toContain("verdict **continue**: edge cases");
    // A heading, the start, three steps; task.status (a team event) tells nothing here.
    expect(story.split("\n").filter((line) => line !== "")).toHaveLength(5);
  });

  it("says when there was no checkpoint (--no-git)", () => {
    expect(
      formatPhaseLogLine({
        ...at,
        type: "checkpoint.created",
        taskId: "t",
        round: 1,
        commit: "",
        parent: "",
        filesChanged: [],
      }),
    ).toContain("no checkpoint (--no-git)");
  });
});
