import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths } from "./paths.js";
import {
  appendPulseJournal,
  createDecisionId,
  listOpenDecisions,
  readPulseJournalTail,
  readPulseState,
  writeDecisionRecord,
  writePulseState,
} from "./pulse-store.js";
import type { PulseDecisionRecord } from "./schema/pulse-record.js";

function makeRecord(id: string, status: "done" | "awaiting" | "started"): PulseDecisionRecord {
  return {
    version: 1,
    id,
    createdAt: "2026-12-03T12:00:00.000Z",
    source: "brain",
    worldHash: "h",
    critique: "c",
    actions: [{ index: 1, action: { type: "noop" }, gate: "run", gateReason: "safe", status }],
  };
}

describe("the pulse's records", () => {
  it("starts a fresh state and keeps what is written", async () => {
    const paths = createBosunPaths(await makeTestDir());
    const state = await readPulseState(paths);
    expect(state).toMatchObject({ beats: 0, consecutiveFailures: 0, brainCallTimesMs: [] });
    await writePulseState(paths, { ...state, beats: 3, lastWorldHash: "abc" });
    expect(await readPulseState(paths)).toMatchObject({ beats: 3, lastWorldHash: "abc" });
  });

  it("lists only decisions with a move not settled", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await writeDecisionRecord(paths, makeRecord("D-20261203-120000-aaaa", "done"));
    await writeDecisionRecord(paths, makeRecord("D-20261203-120001-bbbb", "awaiting"));
    await writeDecisionRecord(paths, makeRecord("D-20261203-120002-cccc", "started"));
    expect((await listOpenDecisions(paths)).map((record) => record.id)).toEqual([
      "D-20261203-120001-bbbb",
      "D-20261203-120002-cccc",
    ]);
    expect(createDecisionId(new Date("2026-12-03T12:00:03Z"))).toMatch(
      /^D-20261203-120003-[0-9a-f]{4}$/,
    );
  });

  it("journals one line per move, never glued to a human's last line, and reads a bounded tail", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await appendPulseJournal(paths, ["first\nsecond half"], new Date("2026-12-03T12:00:00Z"));
    // A human saved the file without a final newline.
    const text = await readFile(paths.pulse.journalFile, "utf8");
    await writeFile(paths.pulse.journalFile, `${text}my note`);
    const many = Array.from({ length: 2000 }, (_, i) => `move ${i}`);
    await appendPulseJournal(paths, many, new Date("2026-12-03T12:00:01Z"));
    const all = (await readFile(paths.pulse.journalFile, "utf8")).split("\n");
    expect(all[0]).toBe("- 2026-12-03 12:00:00Z first second half");
    expect(all[1]).toBe("my note");
    expect(all[2]).toBe("- 2026-12-03 12:00:01Z move 0");
    expect(await readPulseJournalTail(paths, 3)).toEqual([
      "- 2026-12-03 12:00:01Z move 1997",
      "- 2026-12-03 12:00:01Z move 1998",
      "- 2026-12-03 12:00:01Z move 1999",
    ]);
  });
});
