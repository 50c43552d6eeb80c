import { stat, utimes, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  TEAM_RUN_ID,
  makeJournal,
  makeTeamCreated,
  writeRunDir,
} from "../../test/helpers/team-run.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { BOARD_LAG_MS, readBoard, readCurrentBoard, writeBoard } from "./board-file.js";
import { createBosunPaths, type BosunPaths } from "./paths.js";
import { acquireRunLock } from "./run-lock.js";
import type { Board } from "./schema/board.js";

/** A team run of three events (created, paused, resumed) on disk. */
async function makeRun(): Promise<BosunPaths> {
  const paths = createBosunPaths(await makeTestDir());
  const events = makeJournal([
    makeTeamCreated(),
    { type: "run.paused", reason: "Ctrl-C" },
    { type: "run.resumed", pid: 1 },
  ]);
  await writeRunDir(paths, TEAM_RUN_ID, events, null);
  return paths;
}

/** A board without tasks, covering the run's first `eventCount` events. */
function makeBoard(eventCount: number): Board {
  return {
    version: 1,
    runId: TEAM_RUN_ID,
    title: "Add a settings page",
    runStatus: "running",
    updatedAt: "2026-12-01T09:00:02.000Z",
    eventCount,
    hasPlan: false,
    integrationBranch: `bosun/${TEAM_RUN_ID}`,
    baseCommit: "b".repeat(40),
    headCommit: "b".repeat(40),
    criticalPath: [],
    criticalPathMinutes: 0,
    totals: {
      tasks: 0,
      byStatus: {
        pending: 0,
        running: 0,
        retry_queued: 0,
        accepted: 0,
        merged: 0,
        needs_human: 0,
        failed: 0,
        cancelled: 0,
      },
      costUsd: 0,
    },
    tasks: [],
  };
}

describe("board.json", () => {
  it("is written atomically and validated first", async () => {
    const paths = await makeRun();
    await writeBoard(paths, makeBoard(3));
    expect(await readBoard(paths, TEAM_RUN_ID)).toEqual(makeBoard(3));
    const invalid = { ...makeBoard(3), eventCount: -1 };
    await expect(writeBoard(paths, invalid)).rejects.toThrow(/Invalid .*board\.json: eventCount/);
    expect(await readBoard(paths, TEAM_RUN_ID)).toEqual(makeBoard(3));
  });

  it("is current when it covers the journal's last event, and missing is no board", async () => {
    const paths = await makeRun();
    expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
    await writeBoard(paths, makeBoard(3));
    expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toEqual(makeBoard(3));
  });

  it("is not current when it is damaged or of another version (the journal rebuilds it)", async () => {
    const paths = await makeRun();
    const file = paths.boardFile(TEAM_RUN_ID);
    await writeFile(file, "{not json");
    expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
    await writeFile(file, JSON.stringify({ ...makeBoard(3), version: 2 }));
    expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
    // Read as a document, the same file is an error naming it.
    await expect(readBoard(paths, TEAM_RUN_ID)).rejects.toThrow(/Invalid .*board\.json: version/);
  });

  it("is not current behind the journal with no live writer, nor ahead of it", async () => {
    const paths = await makeRun();
    await writeBoard(paths, makeBoard(2));
    expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
    await writeBoard(paths, makeBoard(4));
    expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
  });

  it("may lag the journal while a live writer holds the run, if it was written moments ago", async () => {
    const paths = await makeRun();
    await writeBoard(paths, makeBoard(2));
    const lock = await acquireRunLock(paths.lockFile(TEAM_RUN_ID), "test run");
    try {
      expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toEqual(makeBoard(2));
      // Ahead of the journal is never the writer's lag: the journal was replaced or cut.
      await writeBoard(paths, makeBoard(4));
      expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
      await writeBoard(paths, makeBoard(2));
      const writtenMs = (await stat(paths.boardFile(TEAM_RUN_ID))).mtimeMs;
      const later = { nowMs: writtenMs + BOARD_LAG_MS + 1 };
      expect(await readCurrentBoard(paths, TEAM_RUN_ID, later)).toBeNull();
      // An old board a writer has not touched since is not shown either.
      const old = new Date(Date.now() - 60_000);
      await utimes(paths.boardFile(TEAM_RUN_ID), old, old);
      expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
    } finally {
      await lock.release();
    }
    await writeBoard(paths, makeBoard(2));
    expect(await readCurrentBoard(paths, TEAM_RUN_ID)).toBeNull();
  });
});
