import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { StateError, UsageError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths, type BosunPaths } from "./paths.js";
import { acquireRunLock } from "./run-lock.js";
import {
  assertRunEventSeqs,
  listLockedRuns,
  listRunIds,
  readRunEvents,
  resolveRunId,
} from "./run-read.js";
import type { RunEvent } from "./schema/events.js";

async function makeRunsDir(...names: string[]): Promise<BosunPaths> {
  const paths = createBosunPaths(await makeTestDir());
  await mkdir(paths.runsDir, { recursive: true });
  for (const name of names) await mkdir(path.join(paths.runsDir, name), { recursive: true });
  return paths;
}

describe("listRunIds", () => {
  it("ignores what is not a run: another tool's .cache, stray directories and files", async () => {
    const paths = await makeRunsDir(
      "20261122-130000-aaaa",
      ".cache",
      "cache",
      "node_modules",
      "20261122-130000-zzzz",
      "20261122-130000-aaaa.bak",
    );
    await writeFile(path.join(paths.runsDir, "20261123-130000-ffff"), "a file, not a run");
    expect(await listRunIds(paths)).toEqual(["20261122-130000-aaaa"]);
    expect(await resolveRunId(paths, "latest")).toBe("20261122-130000-aaaa");
    expect(await listLockedRuns(paths)).toEqual([]);
  });

  it("lists locked runs: live ones with their writer's pid, abandoned ones (dead writer) without", async () => {
    const paths = await makeRunsDir(
      "20261122-130000-aaaa",
      "20261122-130000-bbbb",
      "20261122-130000-cccc",
    );
    const live = await acquireRunLock(paths.lockFile("20261122-130000-aaaa"), "run");
    // A dead writer's lock: pid 2^22 + 1 is above Linux's pid limit, so it names no process.
    await writeFile(paths.lockFile("20261122-130000-bbbb"), "4194305\n");
    try {
      expect(await listLockedRuns(paths)).toEqual([
        { runId: "20261122-130000-aaaa", pid: process.pid },
        { runId: "20261122-130000-bbbb", pid: undefined },
      ]);
    } finally {
      await live.release();
    }
  });

  it("reads a missing .bosun/runs as no runs", async () => {
    const paths = createBosunPaths(await makeTestDir());
    expect(await listRunIds(paths)).toEqual([]);
  });

  it("names the path in the way when .bosun/runs is a file", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await mkdir(paths.bosunDir, { recursive: true });
    await writeFile(paths.runsDir, "not a directory");
    const error: unknown = await listRunIds(paths).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Cannot read ${paths.runsDir}: .*\\(ENOTDIR\\)\\. Move the entry in the way aside`,
      ),
    );
  });
});

describe("resolveRunId", () => {
  it.each(["", " ", "\n\t"])(
    "refuses the empty run id %j (a usage error) instead of matching every run",
    async (id) => {
      const paths = await makeRunsDir("20261122-130000-aaaa");
      const error: unknown = await resolveRunId(paths, id).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/^Run id ".*" is empty: give a run id/);
    },
  );

  it("does not resolve a stray directory's name to a run", async () => {
    const paths = await makeRunsDir("20261122-130000-aaaa", ".cache");
    await expect(resolveRunId(paths, ".cache")).rejects.toThrow(UsageError);
  });
});

describe("readRunEvents", () => {
  const RUN_ID = "20261122-130000-aaaa";
  const ts = "2026-11-22T13:00:00.000Z";

  function makeJournal(...seqs: number[]): string {
    const created = {
      type: "run.created",
      flow: "review",
      taskId: "T-1",
      title: "t",
      baseCommit: "c0",
      options: { worker: "a", reviewer: "b", maxRounds: 1, verify: "", timeoutSec: 0 },
    };
    return seqs
      .map((seq, index) =>
        JSON.stringify(
          index === 0 ? { ...created, seq, ts } : { type: "run.resumed", pid: 1, seq, ts },
        ),
      )
      .map((line) => `${line}\n`)
      .join("");
  }

  async function readJournal(text: string): Promise<{ file: string; error: unknown }> {
    const paths = await makeRunsDir(RUN_ID);
    const file = paths.eventsFile(RUN_ID);
    await writeFile(file, text);
    const error = await readRunEvents(paths, RUN_ID).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    return { file, error };
  }

  it("reads a journal numbered 1..N", async () => {
    const paths = await makeRunsDir(RUN_ID);
    await writeFile(paths.eventsFile(RUN_ID), makeJournal(1, 2, 3));
    expect((await readRunEvents(paths, RUN_ID)).map((event) => event.seq)).toEqual([1, 2, 3]);
  });

  it("refuses a repeated seq (a second writer), naming the file and the first bad line", async () => {
    const { file, error } = await readJournal(makeJournal(1, 2, 2, 3));
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toBe(
      `Invalid ${file}:3: seq 2 repeats or goes back (the line before has seq 2); two processes wrote this journal at once, or it was edited. Restore it from a backup or fix that line by hand; bosun never replays a damaged history.`,
    );
  });

  it("refuses a missing seq, counting blank lines in the line number", async () => {
    const journal = makeJournal(1, 2, 4).replace("\n", "\n\n");
    const { file, error } = await readJournal(journal);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Invalid ${file}:4: seq 4 where 3 was expected \\(events are missing\\)`),
    );
  });

  it("refuses a journal that does not start at seq 1", () => {
    const events = [{ type: "run.resumed", pid: 1, seq: 2, ts }] satisfies RunEvent[];
    expect(() => assertRunEventSeqs(events, "events.jsonl")).toThrow(
      /^Invalid events\.jsonl:1: seq 2 where 1 was expected/,
    );
  });
});
