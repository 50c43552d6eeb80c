import { watch } from "node:fs";
import { appendFile, open, mkdir, rename, rm, truncate, writeFile } from "node:fs/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { StateError, UsageError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { followRunEvents, isRunStopEvent, type FollowRunEventsOptions } from "./follow.js";
import { appendLines } from "./jsonl.js";
import { createBosunPaths, type BosunPaths } from "./paths.js";
import type { RunEvent } from "./schema/events.js";

const RUN_ID = "20261122-120000-abcd";
const TS = "2026-11-22T12:00:00.000Z";

/** A run directory without a journal yet. */
async function makeRun(): Promise<{ paths: BosunPaths; file: string }> {
  const paths = createBosunPaths(await makeTestDir());
  await mkdir(paths.runDir(RUN_ID), { recursive: true });
  return { paths, file: paths.eventsFile(RUN_ID) };
}

/** One journal line; `run.resumed` unless a stop is asked for. */
function makeLine(seq: number, type: "run.resumed" | "run.paused" = "run.resumed"): string {
  return JSON.stringify(
    type === "run.paused" ? { seq, ts: TS, type, reason: "r" } : { seq, ts: TS, type, pid: seq },
  );
}

function makeLines(fromSeq: number, toSeq: number): string[] {
  return Array.from({ length: toSeq - fromSeq + 1 }, (_, index) => makeLine(fromSeq + index));
}

/** Rejects when `promise` has not settled in time, so a follower that hangs fails the test. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts following; the follow is aborted when the test ends. */
function startFollowing(
  paths: BosunPaths,
  options: Omit<FollowRunEventsOptions, "signal"> = {},
): {
  controller: AbortController;
  /** The next event's seq, or "done" when the iteration ended. */
  nextSeq: () => Promise<number | "done">;
} {
  const controller = new AbortController();
  onTestFinished(() => controller.abort());
  const events = followRunEvents(paths, RUN_ID, { ...options, signal: controller.signal });
  return {
    controller,
    nextSeq: async () => {
      const result = await within(events.next(), "the next event");
      return result.done === true ? "done" : result.value.seq;
    },
  };
}

/** Live fs.watch handles of this process. */
function countWatchers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
}

describe("followRunEvents", () => {
  it("yields the whole journal, or exactly the events after afterSeq, then appended ones", async () => {
    const { paths, file } = await makeRun();
    await appendLines(file, makeLines(1, 5));
    const all = startFollowing(paths);
    const after3 = startFollowing(paths, { afterSeq: 3 });

    for (const seq of [1, 2, 3, 4, 5]) expect(await all.nextSeq()).toBe(seq);
    expect(await after3.nextSeq()).toBe(4);
    expect(await after3.nextSeq()).toBe(5);
    const next = after3.nextSeq();
    await appendLines(file, [makeLine(6)]);
    expect(await next).toBe(6);
    expect(await all.nextSeq()).toBe(6);
  });

  it("yields events appended after it started, as each is written", async () => {
    const { paths, file } = await makeRun();
    await appendLines(file, [makeLine(1)]);
    const follower = startFollowing(paths);
    expect(await follower.nextSeq()).toBe(1);

    for (const seq of [2, 3]) {
      // Asked for before the append: only the watcher can wake it.
      const next = follower.nextSeq();
      await appendLines(file, [makeLine(seq)]);
      expect(await next).toBe(seq);
    }
  });

  it("waits on a torn last line until the rest of it is written", async () => {
    const { paths, file } = await makeRun();
    const second = makeLine(2);
    // One write: when event 1 is yielded, the half of event 2 has been read too.
    await appendFile(file, `${makeLine(1)}\n${second.slice(0, 10)}`);
    const follower = startFollowing(paths);
    expect(await follower.nextSeq()).toBe(1);

    const next = follower.nextSeq();
    await appendFile(file, `${second.slice(10)}\n`);
    expect(await next).toBe(2);
    await appendFile(file, `${makeLine(3)}\n`);
    expect(await follower.nextSeq()).toBe(3);
  });

  it("does not lose a change that lands while the consumer is busy with an event", async () => {
    const { paths, file } = await makeRun();
    await appendLines(file, [makeLine(1)]);
    const follower = startFollowing(paths);
    expect(await follower.nextSeq()).toBe(1);
    // A second watcher on the same directory: once it has seen the append, so has the
    // follower's (libuv hands one inotify event to every watcher of the path at once).
    const seen = new Promise<void>((resolve) => {
      const probe = watch(paths.runDir(RUN_ID), () => {
        probe.close();
        resolve();
      });
    });

    await appendLines(file, [makeLine(2)]);
    await within(seen, "the append to be seen");

    expect(await follower.nextSeq()).toBe(2);
  });

  it("does not drop any of many quick appends", async () => {
    const { paths, file } = await makeRun();
    const COUNT = 500;
    const follower = startFollowing(paths);
    const seen: number[] = [];
    const collecting = (async () => {
      while (seen.length < COUNT) {
        const seq = await follower.nextSeq();
        if (seq === "done") return;
        seen.push(seq);
      }
    })();
    // One handle and no sync: appends land as fast as they can, many while the follower reads.
    const handle = await open(file, "a");
    for (let seq = 1; seq <= COUNT; seq += 1) await handle.write(`${makeLine(seq)}\n`);
    await handle.close();
    await collecting;

    expect(seen).toEqual(Array.from({ length: COUNT }, (_, index) => index + 1));
  });

  it("ends a waiting follow promptly on abort and closes its watcher", async () => {
    const { paths, file } = await makeRun();
    await appendLines(file, [makeLine(1)]);
    const before = countWatchers();
    const follower = startFollowing(paths);
    expect(await follower.nextSeq()).toBe(1);
    expect(countWatchers()).toBe(before + 1);

    const next = follower.nextSeq();
    const abortedAt = Date.now();
    follower.controller.abort();

    expect(await next).toBe("done");
    expect(Date.now() - abortedAt).toBeLessThan(500);
    // The handle goes once libuv has closed it, a loop turn or so after close().
    await waitFor("the watcher to close", () => (countWatchers() === before ? true : undefined));
  });

  it("closes its watcher on abort even while the consumer holds an event and never asks again", async () => {
    const { paths, file } = await makeRun();
    await appendLines(file, makeLines(1, 2));
    const before = countWatchers();
    const follower = startFollowing(paths);
    expect(await follower.nextSeq()).toBe(1);

    follower.controller.abort();

    await waitFor("the watcher to close", () => (countWatchers() === before ? true : undefined));
  });

  it("ends after a stop event once caught up, and at once when the journal already stopped", async () => {
    const { paths, file } = await makeRun();
    // A pause the run was resumed from is not the end.
    await appendLines(file, [makeLine(1), makeLine(2, "run.paused"), makeLine(3)]);
    const follower = startFollowing(paths, { isStopEvent: isRunStopEvent });
    for (const seq of [1, 2, 3]) expect(await follower.nextSeq()).toBe(seq);

    const next = follower.nextSeq();
    await appendLines(file, [makeLine(4, "run.paused")]);
    expect(await next).toBe(4);
    expect(await follower.nextSeq()).toBe("done");

    const reconnected = startFollowing(paths, { afterSeq: 4, isStopEvent: isRunStopEvent });
    expect(await reconnected.nextSeq()).toBe("done");
  });

  it("waits for the journal of a run whose directory exists but which has no event yet", async () => {
    const { paths, file } = await makeRun();
    const follower = startFollowing(paths);

    const next = follower.nextSeq();
    await appendLines(file, [makeLine(1)]);

    expect(await next).toBe(1);
  });

  it("reads a line longer than one read, and a journal longer than one read, whole", async () => {
    const { paths, file } = await makeRun();
    const long = JSON.stringify({ seq: 2, ts: TS, type: "run.paused", reason: "x".repeat(3e6) });
    await appendLines(file, [makeLine(1), long, ...makeLines(3, 30_000)]);
    const follower = startFollowing(paths);

    const seen: number[] = [];
    for (let seq = await follower.nextSeq(); seq !== 30_000; seq = await follower.nextSeq()) {
      if (seq === "done") break;
      seen.push(seq);
    }

    expect(seen).toHaveLength(29_999);
    expect(seen.at(-1)).toBe(29_999);
  });

  it("refuses a run directory that does not exist", async () => {
    const paths = createBosunPaths(await makeTestDir());
    const follower = startFollowing(paths);

    await expect(follower.nextSeq()).rejects.toThrow(StateError);
    await expect(startFollowing(paths).nextSeq()).rejects.toThrow(
      `Cannot follow run ${RUN_ID}: ${paths.runDir(RUN_ID)} does not exist`,
    );
  });

  it("refuses a bad afterSeq", async () => {
    const { paths } = await makeRun();

    await expect(startFollowing(paths, { afterSeq: -1 }).nextSeq()).rejects.toThrow(UsageError);
    await expect(startFollowing(paths, { afterSeq: 1.5 }).nextSeq()).rejects.toThrow(UsageError);
  });

  it.each([
    {
      change: "replaced by another file",
      apply: async (file: string) => {
        await writeFile(`${file}.new`, `${makeLines(1, 3).join("\n")}\n`);
        await rename(`${file}.new`, file);
      },
      message: "was replaced by another file after 2 event(s) were read",
    },
    {
      change: "truncated",
      apply: (file: string) => truncate(file, 0),
      message: "shrank to 0 bytes",
    },
    { change: "removed", apply: (file: string) => rm(file), message: "was removed" },
  ])("stops with a StateError naming the journal when it is $change", async (scenario) => {
    const { paths, file } = await makeRun();
    await appendLines(file, makeLines(1, 2));
    const follower = startFollowing(paths);
    expect(await follower.nextSeq()).toBe(1);
    expect(await follower.nextSeq()).toBe(2);

    // Expected before the change, so the rejection it causes is never unhandled.
    const stopped = expect(follower.nextSeq()).rejects.toThrow(
      `Stopped following run ${RUN_ID}: ${file} ${scenario.message}`,
    );
    await scenario.apply(file);

    await stopped;
  });

  it("refuses a journal whose seqs skip, since afterSeq could not be exact", async () => {
    const { paths, file } = await makeRun();
    await appendLines(file, [makeLine(1), makeLine(3)]);
    const follower = startFollowing(paths);

    await expect(follower.nextSeq()).rejects.toThrow(
      `Invalid ${file}: event 2 of the journal has seq 3`,
    );
  });

  it("tells stop events from others", () => {
    const events: RunEvent[] = [
      { seq: 1, ts: TS, type: "run.paused", reason: "r" },
      { seq: 2, ts: TS, type: "run.completed", status: "succeeded", reason: "r" },
      { seq: 3, ts: TS, type: "run.resumed", pid: 1 },
    ];
    expect(events.map(isRunStopEvent)).toEqual([true, true, false]);
  });
});
