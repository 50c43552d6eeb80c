/**
 * A pulse with a decision held for a human, written straight to `.bosun/pulse/` as a beat
 * leaves it: the decision's record (two irreversible `delete` moves awaiting, one write done),
 * its approval ask, a sensor reading that failed beside one that passed, and journal lines.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { writeApprovalAsk } from "../../src/flows/pulse/beat.js";
import type { PulseEnv } from "../../src/flows/pulse/pulse-env.js";
import { createBosunPaths } from "../../src/store/paths.js";
import {
  appendPulseJournal,
  writeDecisionRecord,
  writeLastReadings,
} from "../../src/store/pulse-store.js";
import { DEFAULT_CONFIG } from "../../src/store/schema/config-defaults.js";
import type { PulseDecisionRecord } from "../../src/store/schema/pulse-record.js";

/** The held decision's id. */
export const HELD_DECISION_ID = "D-20261203-120000-ab12";

/** A pulse env over `root` whose brain must never be called. */
export function makePulseEnv(root: string): PulseEnv {
  return {
    repoRoot: root,
    paths: createBosunPaths(root),
    config: DEFAULT_CONFIG,
    cliPath: "/nonexistent/bosun.js",
    runner: () => Promise.reject(new Error("no brain call in this test")),
    now: Date.now,
    log: () => undefined,
  };
}

/** Writes the held decision (deleting old-a.txt and old-b.txt, both there) and what goes with it. */
export async function writeHeldDecision(env: PulseEnv): Promise<PulseDecisionRecord> {
  await writeFile(path.join(env.repoRoot, "old-a.txt"), "a\n");
  await writeFile(path.join(env.repoRoot, "old-b.txt"), "b\n");
  const held = (index: number, file: string): PulseDecisionRecord["actions"][number] => ({
    index,
    action: { type: "delete", path: file, reason: "unused" },
    gate: "ask",
    gateReason: "delete cannot be undone: never done without a human's approval",
    status: "awaiting",
  });
  const record: PulseDecisionRecord = {
    version: 1,
    id: HELD_DECISION_ID,
    createdAt: new Date().toISOString(),
    source: "brain",
    worldHash: "hash",
    critique: "two old files are unused",
    askId: "ask-20261203-120000-ab12",
    actions: [
      held(1, "old-a.txt"),
      held(2, "old-b.txt"),
      {
        index: 3,
        action: { type: "write_goal", id: "tidy", text: "Keep the tree tidy." },
        gate: "run",
        gateReason: "write_goal is reversible",
        status: "done",
        result: "goal tidy written",
      },
    ],
  };
  await writeDecisionRecord(env.paths, record);
  await writeApprovalAsk(env, record, record.actions.slice(0, 2));
  await writeLastReadings(env.paths, [
    { status: "ok", name: "ci", signal: "green", readAtMs: Date.now(), durationMs: 5 },
    {
      status: "failed",
      name: "deploys",
      error: "exited 2: cannot reach the server",
      readAtMs: Date.now(),
      durationMs: 7,
    },
  ]);
  await appendPulseJournal(env.paths, [
    `${HELD_DECISION_ID} decided: two old files are unused`,
    `${HELD_DECISION_ID} #1 delete old-a.txt — held for a human`,
  ]);
  return record;
}
