import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { StateError, UsageError } from "../errors.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import {
  dropSchedule,
  getNextScheduleAtMs,
  listSchedules,
  takeDueSchedules,
  writeSchedule,
} from "./pulse-schedules.js";

const T0 = 1_800_000_000_000;

async function makePaths(): Promise<BosunPaths> {
  return createBosunPaths(await makeTestDir());
}

describe("pulse schedules", () => {
  it("writes a one-shot and a repeating schedule, listed by id, each first due one period on", async () => {
    const paths = await makePaths();
    const once = await writeSchedule(paths, { id: "b-once", note: "look at CI", inSec: 60 }, T0);
    const every = await writeSchedule(
      paths,
      { id: "a-hourly", note: "check deps", everySec: 3600 },
      T0,
    );
    expect(once).toEqual({
      version: 1,
      id: "b-once",
      note: "look at CI",
      inSec: 60,
      createdAtMs: T0,
      nextAtMs: T0 + 60_000,
    });
    expect(every.nextAtMs).toBe(T0 + 3_600_000);
    expect(await listSchedules(paths)).toEqual([every, once]);
    expect(getNextScheduleAtMs(await listSchedules(paths))).toBe(T0 + 60_000);
    expect(getNextScheduleAtMs([])).toBeUndefined();
  });

  it("replaces a schedule written again under the same id", async () => {
    const paths = await makePaths();
    await writeSchedule(paths, { id: "s", note: "old", inSec: 60 }, T0);
    await writeSchedule(paths, { id: "s", note: "new", everySec: 10 }, T0 + 1000);
    expect(await listSchedules(paths)).toEqual([
      {
        version: 1,
        id: "s",
        note: "new",
        everySec: 10,
        createdAtMs: T0 + 1000,
        nextAtMs: T0 + 11_000,
      },
    ]);
  });

  it("needs exactly one of inSec and everySec, a positive period and a note", async () => {
    const paths = await makePaths();
    const bad = [
      { id: "s", note: "n" },
      { id: "s", note: "n", inSec: 5, everySec: 5 },
      { id: "s", note: "n", inSec: 0 },
      { id: "s", note: "n", everySec: -1 },
      { id: "s", note: " ", inSec: 5 },
    ];
    for (const request of bad) {
      await expect(
        writeSchedule(paths, request, T0),
        JSON.stringify(request),
      ).rejects.toBeInstanceOf(UsageError);
    }
    expect(await listSchedules(paths)).toEqual([]);
  });

  it("takes a due one-shot once: removed from disk before it is returned", async () => {
    const paths = await makePaths();
    await writeSchedule(paths, { id: "once", note: "n", inSec: 60 }, T0);
    expect(await takeDueSchedules(paths, T0 + 59_999)).toEqual([]);
    expect(await takeDueSchedules(paths, T0 + 60_000)).toMatchObject([{ id: "once" }]);
    expect(await readdir(paths.pulse.schedulesDir)).toEqual([]);
    expect(await takeDueSchedules(paths, T0 + 120_000)).toEqual([]);
  });

  it("moves a repeating schedule on, skipping missed periods instead of firing them in a burst", async () => {
    const paths = await makePaths();
    await writeSchedule(paths, { id: "tick", note: "n", everySec: 10 }, T0);
    const [first] = await takeDueSchedules(paths, T0 + 10_000);
    expect(first).toMatchObject({ lastFiredAtMs: T0 + 10_000, nextAtMs: T0 + 20_000 });
    // On disk already: a crash now, and the next take does not fire it again.
    expect(await takeDueSchedules(paths, T0 + 10_000)).toEqual([]);
    // Asleep for 35 s: fired once, next on the period's grid after now.
    const [late] = await takeDueSchedules(paths, T0 + 55_000);
    expect(late).toMatchObject({ lastFiredAtMs: T0 + 55_000, nextAtMs: T0 + 60_000 });
    expect(await listSchedules(paths)).toEqual([late]);
  });

  it("drops a schedule and says when there is none to drop", async () => {
    const paths = await makePaths();
    const written = await writeSchedule(paths, { id: "s", note: "n", inSec: 5 }, T0);
    expect(await dropSchedule(paths, "s")).toEqual(written);
    expect(await listSchedules(paths)).toEqual([]);
    await expect(dropSchedule(paths, "s")).rejects.toThrow(StateError);
    await expect(dropSchedule(paths, "s")).rejects.toThrow(/bosun _ schedule list/);
  });

  it("names the file when a schedule on disk is damaged", async () => {
    const paths = await makePaths();
    await writeSchedule(paths, { id: "ok", note: "n", inSec: 5 }, T0);
    const bad = path.join(paths.pulse.schedulesDir, "bad.json");
    await writeFile(
      bad,
      JSON.stringify({ version: 1, id: "bad", note: "n", createdAtMs: 0, nextAtMs: 0 }),
    );
    await expect(listSchedules(paths)).rejects.toThrow(`Invalid ${bad}: everySec: exactly one`);
  });
});
