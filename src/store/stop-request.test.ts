import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths } from "./paths.js";
import { acquireRunLock } from "./run-lock.js";
import type { StopRequest } from "./schema/stop-request.js";
import {
  isStaleStopRequest,
  readLockTakenAtMs,
  readStopRequest,
  removeStopRequest,
  writeStopRequest,
} from "./stop-request.js";

function makeRequest(overrides: Partial<StopRequest> = {}): StopRequest {
  return { version: 1, requestedAt: "2026-12-03T12:00:00.500Z", pid: 42, by: "cli", ...overrides };
}

describe("isStaleStopRequest", () => {
  const takenAtMs = Date.parse("2026-12-03T12:00:00.500Z");

  it("takes a request written for this holding: same pid, at or after the lock", () => {
    expect(isStaleStopRequest(makeRequest(), { pid: 42, takenAtMs })).toBe(false);
    // The request's ms precision: a lock taken later within the same ms is a tie, not stale.
    expect(isStaleStopRequest(makeRequest(), { pid: 42, takenAtMs: takenAtMs + 0.7 })).toBe(false);
    expect(
      isStaleStopRequest(makeRequest({ requestedAt: "2026-12-03T12:00:09.000Z" }), {
        pid: 42,
        takenAtMs,
      }),
    ).toBe(false);
  });

  it("drops a request meant for another process, or for this one before it took the lock", () => {
    expect(isStaleStopRequest(makeRequest({ pid: 7 }), { pid: 42, takenAtMs })).toBe(true);
    expect(
      isStaleStopRequest(makeRequest({ requestedAt: "2026-12-03T12:00:00.499Z" }), {
        pid: 42,
        takenAtMs,
      }),
    ).toBe(true);
  });
});

describe("stop request files", () => {
  it("writes, reads and removes a run's request; none reads as null", async () => {
    const paths = createBosunPaths(await makeTestDir());
    expect(await readStopRequest(paths, "r1")).toBeNull();
    await writeStopRequest(paths, "r1", makeRequest({ by: "dashboard" }));
    expect(await readStopRequest(paths, "r1")).toEqual(makeRequest({ by: "dashboard" }));
    await removeStopRequest(paths, "r1");
    await removeStopRequest(paths, "r1");
    expect(await readStopRequest(paths, "r1")).toBeNull();
  });

  it("names the file and the field of a damaged request", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await writeStopRequest(paths, "r1", makeRequest());
    await writeFile(paths.stopRequestFile("r1"), JSON.stringify({ ...makeRequest(), pid: "x" }));
    await expect(readStopRequest(paths, "r1")).rejects.toThrow(
      `Invalid ${paths.stopRequestFile("r1")}: pid:`,
    );
  });

  it("reads when the run's lock was taken, and nothing without a lock", async () => {
    const paths = createBosunPaths(await makeTestDir());
    expect(await readLockTakenAtMs(paths, "r1")).toBeUndefined();
    const before = Date.now();
    const lock = await acquireRunLock(paths.lockFile("r1"), "Run r1");
    const takenAtMs = (await readLockTakenAtMs(paths, "r1")) ?? 0;
    // File times come from a coarse clock: within a few ms of the clock's.
    expect(takenAtMs).toBeGreaterThan(before - 50);
    expect(takenAtMs).toBeLessThan(Date.now() + 50);
    await lock.release();
  });
});
