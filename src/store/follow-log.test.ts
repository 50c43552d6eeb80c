import { appendFile, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { followLogLines } from "./follow-log.js";

/** A follower of `file` whose batches are collected as they come, stopped when the test ends. */
function startFollowing(
  file: string,
  tailBytes?: number,
): { lines: string[]; next: (count: number) => Promise<void> } {
  const controller = new AbortController();
  onTestFinished(() => controller.abort());
  const lines: string[] = [];
  const iterator = followLogLines(file, {
    signal: controller.signal,
    ...(tailBytes === undefined ? {} : { tailBytes }),
  });
  // Takes batches until `count` lines in all have come (each batch is one event-driven read).
  const next = async (count: number): Promise<void> => {
    while (lines.length < count) {
      const batch = await iterator.next();
      if (batch.done === true) throw new Error("the follow ended");
      lines.push(...batch.value);
    }
  };
  return { lines, next };
}

describe("followLogLines", () => {
  it("yields the lines already there, then each line appended, never a torn one", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.log");
    await writeFile(file, "one\ntwo\n");
    const follow = startFollowing(file);
    await follow.next(2);
    await appendFile(file, "three\nfo");
    await follow.next(3);
    await appendFile(file, "ur\n");
    await follow.next(4);
    expect(follow.lines).toEqual(["one", "two", "three", "four"]);
  });

  it("starts at the file's tail, dropping the line the tail cuts", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.log");
    await writeFile(file, "a long first line\nsecond\n");
    const follow = startFollowing(file, 10);
    await follow.next(1);
    expect(follow.lines).toEqual(["second"]);
  });

  it("waits for a file, and a directory, that do not exist yet", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "rounds", "1", "worker", "agent.log");
    const follow = startFollowing(file);
    const first = follow.next(1);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, "started\n");
    await first;
    expect(follow.lines).toEqual(["started"]);
  });

  it("starts over when the file is replaced by a shorter one", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.log");
    await writeFile(file, "the old log\n");
    const follow = startFollowing(file);
    await follow.next(1);
    await rm(file);
    await writeFile(file, "new\n");
    await follow.next(2);
    expect(follow.lines).toEqual(["the old log", "new"]);
  });
});
