import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readDecisionRecord } from "../../src/store/pulse-store.js";
import { runMainInProcess } from "../helpers/in-process-cli.js";
import { HELD_DECISION_ID, makePulseEnv, writeHeldDecision } from "../helpers/pulse-held.js";
import { makeTestDir } from "../helpers/testdir.js";

describe("a pulse worker", () => {
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
