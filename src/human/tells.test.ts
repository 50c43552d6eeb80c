import { mkdir, readdir, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import type { Tell } from "../store/schema/tells.js";
import { createTellId, markTellDelivered, readTells, writeTell } from "./tells.js";

const RUN_ID = "20261201-090000-a1b2";

function makeTell(overrides: Partial<Tell> = {}): Tell {
  return {
    version: 1,
    id: createTellId(RUN_ID, new Date("2026-12-01T09:30:00.123Z")),
    runId: RUN_ID,
    text: "Use the existing date helper, not a new one.",
    source: "cli",
    createdAt: "2026-12-01T09:30:00.123Z",
    ...overrides,
  };
}

async function makePaths(): Promise<BosunPaths> {
  return createBosunPaths(await makeTestDir());
}

describe("the tell mailbox", () => {
  it("names a tell after its run and the time, so a run's tells are found and sorted by name", () => {
    const id = createTellId(RUN_ID, new Date("2026-12-01T09:30:00.123Z"));
    expect(id).toMatch(/^tell-20261201-090000-a1b2-20261201093000123-[0-9a-f]{4}$/);
  });

  it("writes a tell once, reads it back as pending, and moves it to delivered", async () => {
    const paths = await makePaths();
    const tell = makeTell();
    await writeTell(paths, tell);
    expect(await readTells(paths, RUN_ID)).toEqual({
      pending: [tell],
      delivered: [],
      problems: [],
    });
    await markTellDelivered(paths, tell.id);
    // A second call (bosun died after the move, before it knew) finds nothing left to move.
    await markTellDelivered(paths, tell.id);
    expect(await readTells(paths, RUN_ID)).toEqual({
      pending: [],
      delivered: [tell],
      problems: [],
    });
    // No temp file is left behind.
    expect(await readdir(paths.tellsDir)).toEqual(["delivered"]);
  });

  it("never replaces a tell that exists", async () => {
    const paths = await makePaths();
    const tell = makeTell();
    await writeTell(paths, tell);
    await expect(writeTell(paths, { ...tell, text: "something else" })).rejects.toThrow(StateError);
    expect((await readTells(paths, RUN_ID)).pending).toEqual([tell]);
  });

  it("keeps other runs' tells out, oldest first, and reports damaged files instead of delivering them", async () => {
    const paths = await makePaths();
    const late = makeTell({ id: createTellId(RUN_ID, new Date("2026-12-01T10:00:00.000Z")) });
    const early = makeTell();
    await writeTell(paths, late);
    await writeTell(paths, early);
    const otherRun = "20261201-080000-ffff";
    await writeTell(paths, makeTell({ id: createTellId(otherRun), runId: otherRun }));
    await mkdir(paths.tellsDir, { recursive: true });
    await writeFile(paths.tellFile(`tell-${RUN_ID}-broken`), "{ not json");
    // A file whose content names another run than its name does.
    await writeFile(
      paths.tellFile(`tell-${RUN_ID}-stolen`),
      JSON.stringify(makeTell({ id: `tell-${RUN_ID}-stolen`, runId: otherRun })),
    );
    const read = await readTells(paths, RUN_ID);
    expect(read.pending.map((tell) => tell.id)).toEqual([early.id, late.id]);
    expect(read.problems).toHaveLength(2);
    expect(read.problems.join("\n")).toContain("not valid JSON");
    expect(read.problems.join("\n")).toContain("does not match its file name");
  });

  it("refuses to write an empty tell or one over the cap", async () => {
    const paths = await makePaths();
    await expect(writeTell(paths, makeTell({ text: "" }))).rejects.toThrow(StateError);
    await expect(writeTell(paths, makeTell({ text: "x".repeat(4001) }))).rejects.toThrow(/text/);
  });

  it("has no tells before anyone told anything", async () => {
    const paths = await makePaths();
    expect(await readTells(paths, RUN_ID)).toEqual({ pending: [], delivered: [], problems: [] });
  });
});
