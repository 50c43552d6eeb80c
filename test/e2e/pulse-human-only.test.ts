import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readDecisionRecord } from "../../src/store/pulse-store.js";
import { runMainInProcess } from "../helpers/in-process-cli.js";
import { HELD_DECISION_ID, makePulseEnv, writeHeldDecision } from "../helpers/pulse-held.js";
import { makeTestDir } from "../helpers/testdir.js";

describe("a process the pulse started", () => {
  it("may not approve, reject or answer: only a human settles the loop's held moves", async () => {
    const root = await makeTestDir();
    const env = makePulseEnv(root);
    const record = await writeHeldDecision(env);
    const askId = record.askId ?? "";
    const home = { BOSUN_HOME: path.join(root, "bosun-home") };
    const asWorker = { ...home, BOSUN_WORKER_ID: "w1" };
    for (const args of [
      ["_", "decision", "approve", HELD_DECISION_ID],
      ["_", "decision", "reject", HELD_DECISION_ID, "--only", "1"],
      ["_", "answer", askId, "approve"],
      ["answer", askId, "approve"],
      ["pulse", "approve", HELD_DECISION_ID],
    ]) {
      const result = await runMainInProcess(["--root", root, ...args], asWorker);
      expect(result.exitCode, args.join(" ")).toBe(2);
      expect(result.stdout + result.stderr, args.join(" ")).toContain("runs inside pulse worker");
    }
    // Nor the brain's CLI, a sensor or a move's command (what they run inherits the mark).
    const marks: Array<Record<string, string>> = [
      { BOSUN_PULSE_BRAIN: "1" },
      { BOSUN_PULSE_SENSOR: "ci" },
      { BOSUN_PULSE_MOVE: "D-1#1" },
    ];
    for (const mark of marks) {
      const result = await runMainInProcess(
        ["--root", root, "_", "decision", "approve", HELD_DECISION_ID],
        { ...home, ...mark },
      );
      expect(result.exitCode, JSON.stringify(mark)).toBe(2);
      expect(result.stdout, JSON.stringify(mark)).toContain("it is a human's to do");
    }
    expect(existsSync(env.paths.answerFile(askId))).toBe(false);
    const held = await readDecisionRecord(env.paths, HELD_DECISION_ID);
    expect(held?.actions.map((item) => item.status)).toEqual(["awaiting", "awaiting", "done"]);
    expect(existsSync(path.join(root, "old-a.txt"))).toBe(true);

    // A human's approval goes through.
    const approved = await runMainInProcess(
      ["--root", root, "_", "decision", "approve", HELD_DECISION_ID, "--only", "1"],
      home,
    );
    expect(approved.exitCode, approved.stdout).toBe(0);
    expect(existsSync(path.join(root, "old-a.txt"))).toBe(false);
  });
});
